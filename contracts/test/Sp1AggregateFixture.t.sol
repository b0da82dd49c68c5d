// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {console2} from "forge-std/console2.sol";
import {InboxReplay} from "./utils/InboxReplay.sol";
import {ExpectingVerifier} from "./utils/ExpectingVerifier.sol";
import {MockVerifier} from "../MockVerifier.sol";
import {ISP1Verifier} from "../interfaces/ISP1Verifier.sol";
import {Rollup} from "../Rollup.sol";
import {AggregateHeader, BatchHeader, BlobOpening, PublicValues} from "../PublicValues.sol";

/// @notice The aggregation fixture (tests/fixtures/sp1_aggregate.json, scripts/make-aggregate-fixture.py):
///         consecutive ranges of a devnet run that a real node derived, each executed by the SP1
///         range guest, and the SP1 aggregation program executed over the first range, the first
///         two and all three (`.proven`: the same two-range aggregate proven as compressed STARKs on
///         this machine). The Inbox is rebuilt by replay; each aggregate must settle its ranges on
///         a fresh Rollup, with the aggregation program's vkey and committed bytes handed to the
///         verifier unchanged. A compressed STARK is not an L1 proof: the proof bytes are empty, and
///         the verifier is one that expects exactly them (docs/ZKVM.md, "Aggregation").
contract Sp1AggregateFixtureTest is InboxReplay {
    bytes32 internal rangeVKey;
    bytes32 internal aggregationVKey;

    function setUp() public {
        json = vm.readFile(string.concat(vm.projectRoot(), "/tests/fixtures/sp1_aggregate.json"));
        vm.chainId(vm.parseJsonUint(json, ".chain_id"));
        _rebuildInbox();
        rangeVKey = vm.parseJsonBytes32(json, ".range_vkey");
        aggregationVKey = vm.parseJsonBytes32(json, ".aggregation_vkey");
    }

    function _range(uint256 k) internal view returns (BatchHeader memory) {
        string memory at = string.concat(".ranges[", vm.toString(k), "].header.");
        return BatchHeader({
            prevStateRoot: vm.parseJsonBytes32(json, string.concat(at, "prev_state_root")),
            newStateRoot: vm.parseJsonBytes32(json, string.concat(at, "new_state_root")),
            inboxStart: uint64(vm.parseJsonUint(json, string.concat(at, "inbox_start"))),
            inboxEnd: uint64(vm.parseJsonUint(json, string.concat(at, "inbox_end"))),
            inboxStartAcc: vm.parseJsonBytes32(json, string.concat(at, "inbox_start_acc")),
            inboxEndAcc: vm.parseJsonBytes32(json, string.concat(at, "inbox_end_acc")),
            withdrawalsRoot: vm.parseJsonBytes32(json, string.concat(at, "withdrawals_root")),
            blobsHash: vm.parseJsonBytes32(json, string.concat(at, "blobs_hash"))
        });
    }

    function _rangeOpenings(uint256 k) internal view returns (BlobOpening[] memory) {
        return _openingsAt(string.concat(".ranges[", vm.toString(k), "].blob_openings"));
    }

    /// @dev The aggregate over the first `n` ranges, as the aggregation program committed it.
    function _aggregate(uint256 n) internal view returns (AggregateHeader memory header, bytes memory committed) {
        for (uint256 i; i < _count(".aggregates"); ++i) {
            string memory at = string.concat(".aggregates[", vm.toString(i), "].");
            if (vm.parseJsonUint(json, string.concat(at, "range_count")) != n) continue;
            committed = vm.parseJsonBytes(json, string.concat(at, "public_values"));
            header = abi.decode(committed, (AggregateHeader));
            return (header, committed);
        }
        revert("no aggregate of that many ranges in the fixture");
    }

    function _ranges(uint256 n) internal view returns (BatchHeader[] memory ranges, BlobOpening[][] memory openings) {
        ranges = new BatchHeader[](n);
        openings = new BlobOpening[][](n);
        for (uint256 k; k < n; ++k) {
            ranges[k] = _range(k);
            openings[k] = _rangeOpenings(k);
        }
    }

    /// @dev A Rollup at the run's genesis whose aggregation backend accepts exactly `committed`
    ///      under the aggregation program's vkey with an empty proof.
    function _rollupExpecting(bytes memory committed) internal returns (Rollup target) {
        target =
            new Rollup(inbox, new MockVerifier(), rangeVKey, _range(0).prevStateRoot, address(this), 8 days, 7 days);
        target.proposeVerifierChange(
            Rollup.Backend.SP1_AGGREGATION, new ExpectingVerifier(aggregationVKey, committed, ""), aggregationVKey
        );
        vm.warp(block.timestamp + 8 days);
        target.executeVerifierChange(Rollup.Backend.SP1_AGGREGATION);
    }

    function _settleAggregate(uint256 n) internal returns (Rollup target) {
        (AggregateHeader memory header, bytes memory committed) = _aggregate(n);
        (BatchHeader[] memory ranges, BlobOpening[][] memory openings) = _ranges(n);
        target = _rollupExpecting(committed);
        target.submitAggregate(header, ranges, openings, "");
        assertEq(target.stateRoot(), ranges[n - 1].newStateRoot);
        assertEq(target.nextInboxIndex(), ranges[n - 1].inboxEnd);
        assertEq(target.batchCount(), n);
        for (uint256 k; k < n; ++k) {
            assertEq(target.withdrawalsRoot(k), ranges[k].withdrawalsRoot);
        }
    }

    function test_aggregateFixture_programCommittedTheSpanAndHashOfItsRanges() public view {
        uint256 total = _count(".ranges");
        assertEq(total, 3);
        for (uint256 n = 1; n <= total; ++n) {
            (AggregateHeader memory header, bytes memory committed) = _aggregate(n);
            (BatchHeader[] memory ranges,) = _ranges(n);
            bytes memory packed;
            for (uint256 k; k < n; ++k) {
                packed = bytes.concat(packed, PublicValues.encode(ranges[k]));
                assertEq(
                    PublicValues.encode(ranges[k]),
                    vm.parseJsonBytes(json, string.concat(".ranges[", vm.toString(k), "].public_values"))
                );
            }
            assertEq(PublicValues.encodeAggregate(header), committed);
            assertEq(header.rangeVKey, rangeVKey);
            assertEq(header.rangeCount, n);
            assertEq(header.rangesHash, keccak256(packed));
            assertEq(header.prevStateRoot, ranges[0].prevStateRoot);
            assertEq(header.newStateRoot, ranges[n - 1].newStateRoot);
            assertEq(header.inboxEnd, ranges[n - 1].inboxEnd);
        }
    }

    function test_aggregateFixture_theProvenAggregateIsTheExecutedOne() public view {
        if (!vm.keyExistsJson(json, ".proven.aggregate")) return; // the fixture was written without `prove`
        uint256 n = vm.parseJsonUint(json, ".proven.aggregate.rangeCount");
        (, bytes memory committed) = _aggregate(n);
        assertEq(vm.parseJsonBytes(json, ".proven.aggregate.publicValues"), committed);
        assertEq(vm.parseJsonBytes32(json, ".proven.aggregate.vkey"), aggregationVKey);
    }

    /// @dev Each of these makes exactly one settlement call, for docs/GAS.md
    ///      (`forge test --gas-report --mc Sp1AggregateFixtureTest`).
    function test_aggregateFixture_settlesOneRange() public {
        _settleAggregate(1);
    }

    function test_aggregateFixture_settlesTwoRanges() public {
        _settleAggregate(2);
    }

    function test_aggregateFixture_settlesThreeRangesOneWithABlob() public {
        Rollup target = _settleAggregate(3);
        assertEq(_rangeOpenings(2).length, 1);
        assertEq(target.stateRoot(), _range(2).newStateRoot);
    }

    function test_aggregateFixture_rangesSettledOneByOneReachTheSameRoot() public {
        Rollup target =
            new Rollup(inbox, new MockVerifier(), rangeVKey, _range(0).prevStateRoot, address(this), 8 days, 7 days);
        for (uint256 k; k < 3; ++k) {
            target.submitBatch(_range(k), _rangeOpenings(k), "");
        }
        (AggregateHeader memory header,) = _aggregate(3);
        assertEq(target.stateRoot(), header.newStateRoot);
        assertEq(target.batchCount(), 3);
    }

    /// @dev L1 gas of one settlement transaction: 21,000, calldata at 4 gas a zero byte and 16 a
    ///      non-zero one, and the call's execution with the Rollup, Inbox and verifier cold.
    function _transactionGas(Rollup target, bytes memory call) internal returns (uint256) {
        uint256 calldataGas;
        for (uint256 i; i < call.length; ++i) {
            calldataGas += call[i] == 0 ? 4 : 16;
        }
        (, bytes32 key) = target.programVerifier(Rollup.Backend.SP1);
        (ISP1Verifier aggregationVerifier,) = target.programVerifier(Rollup.Backend.SP1_AGGREGATION);
        (ISP1Verifier rangeVerifier,) = target.programVerifier(Rollup.Backend.SP1);
        assertEq(key, rangeVKey);
        vm.cool(address(target));
        vm.cool(address(inbox));
        vm.cool(address(aggregationVerifier));
        vm.cool(address(rangeVerifier));
        (bool ok,) = address(target).call(call);
        assertTrue(ok);
        return 21_000 + calldataGas + vm.lastCallGas().gasTotalUsed;
    }

    /// @dev The figures of docs/GAS.md ("Aggregated settlement"): `forge test --mt
    ///      test_aggregateFixture_gasPerRange -vv`. The verifiers here cost a keccak; SP1's
    ///      Groth16 verifier would add its own cost once per transaction, aggregated or not.
    function test_aggregateFixture_gasPerRange() public {
        uint256 singly;
        Rollup one =
            new Rollup(inbox, new MockVerifier(), rangeVKey, _range(0).prevStateRoot, address(this), 8 days, 7 days);
        for (uint256 k; k < 3; ++k) {
            uint256 gas = _transactionGas(one, abi.encodeCall(Rollup.submitBatch, (_range(k), _rangeOpenings(k), "")));
            console2.log("submitBatch, range", k, "gas", gas);
            singly += gas;
        }
        for (uint256 n = 1; n <= 3; ++n) {
            (AggregateHeader memory header, bytes memory committed) = _aggregate(n);
            (BatchHeader[] memory ranges, BlobOpening[][] memory openings) = _ranges(n);
            Rollup target = _rollupExpecting(committed);
            uint256 gas =
                _transactionGas(target, abi.encodeCall(Rollup.submitAggregate, (header, ranges, openings, "")));
            console2.log("submitAggregate, ranges", n, "gas", gas);
            console2.log("  per range", gas / n);
            if (n == 3) assertLt(gas, singly, "three ranges in one aggregate cost less than three batches");
        }
    }

    function test_aggregateFixture_anAlteredRangeOrCommitmentIsRefused() public {
        (AggregateHeader memory header, bytes memory committed) = _aggregate(2);
        (BatchHeader[] memory ranges, BlobOpening[][] memory openings) = _ranges(2);
        Rollup target = _rollupExpecting(committed);
        ranges[1].withdrawalsRoot = keccak256("not what the program verified");
        vm.expectPartialRevert(Rollup.RangesHashMismatch.selector);
        target.submitAggregate(header, ranges, openings, "");
        (ranges,) = _ranges(2);
        header.newStateRoot = keccak256("not what the program committed");
        vm.expectRevert(ExpectingVerifier.UnexpectedVerification.selector);
        target.submitAggregate(header, ranges, openings, "");
    }
}
