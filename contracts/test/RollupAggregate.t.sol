// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {RollupFixture} from "./utils/RollupFixture.sol";
import {ExpectingVerifier} from "./utils/ExpectingVerifier.sol";
import {Rollup} from "../Rollup.sol";
import {ISP1Verifier} from "../interfaces/ISP1Verifier.sol";
import {AggregateHeader, BatchHeader, BlobOpening, PublicValues} from "../PublicValues.sol";

/// @notice `Rollup.submitAggregate` (docs/PROTOCOL.md section 14): consecutive SP1 ranges settle
///         with one proof of the aggregation program, and each range becomes a batch of its own.
contract RollupAggregateTest is RollupFixture {
    bytes32 internal constant AGGREGATION_VKEY = keccak256("clobnode-aggregation");
    bytes internal constant PROOF = hex"a9a9";

    function setUp() public {
        _deployStack();
        _append(6);
    }

    /// @dev Ranges [0, 2), [2, 3), [3, 6), chained, the second with a withdrawals root.
    function _ranges() internal view returns (BatchHeader[] memory ranges) {
        uint64[4] memory cuts = [uint64(0), 2, 3, 6];
        ranges = new BatchHeader[](3);
        bytes32 root = GENESIS;
        for (uint256 k; k < 3; ++k) {
            bytes32 next = keccak256(abi.encode("root", k));
            ranges[k] = BatchHeader({
                prevStateRoot: root,
                newStateRoot: next,
                inboxStart: cuts[k],
                inboxEnd: cuts[k + 1],
                inboxStartAcc: inbox.accBefore(cuts[k]),
                inboxEndAcc: inbox.accAt(cuts[k + 1] - 1),
                withdrawalsRoot: k == 1 ? keccak256("withdrawals") : bytes32(0),
                blobsHash: bytes32(0)
            });
            root = next;
        }
    }

    /// @dev What the aggregation program commits for `ranges` (the core's aggregate()).
    function _aggregate(BatchHeader[] memory ranges) internal pure returns (AggregateHeader memory) {
        bytes memory packed;
        for (uint256 k; k < ranges.length; ++k) {
            packed = bytes.concat(packed, PublicValues.encode(ranges[k]));
        }
        BatchHeader memory first = ranges[0];
        BatchHeader memory last = ranges[ranges.length - 1];
        return AggregateHeader({
            rangeVKey: VKEY,
            prevStateRoot: first.prevStateRoot,
            newStateRoot: last.newStateRoot,
            inboxStart: first.inboxStart,
            inboxEnd: last.inboxEnd,
            inboxStartAcc: first.inboxStartAcc,
            inboxEndAcc: last.inboxEndAcc,
            rangeCount: uint64(ranges.length),
            rangesHash: keccak256(packed)
        });
    }

    function _openings(uint256 n) internal pure returns (BlobOpening[][] memory openings) {
        openings = new BlobOpening[][](n);
        for (uint256 k; k < n; ++k) {
            openings[k] = new BlobOpening[](0);
        }
    }

    /// @dev Enables the aggregation backend through the timelock, with a verifier that accepts
    ///      exactly `aggregate`'s encoding under AGGREGATION_VKEY and PROOF.
    function _enableAggregation(AggregateHeader memory aggregate) internal {
        ISP1Verifier expecting = new ExpectingVerifier(AGGREGATION_VKEY, PublicValues.encodeAggregate(aggregate), PROOF);
        vm.prank(owner);
        rollup.proposeVerifierChange(Rollup.Backend.SP1_AGGREGATION, expecting, AGGREGATION_VKEY);
        vm.warp(block.timestamp + UPGRADE_DELAY);
        vm.prank(owner);
        rollup.executeVerifierChange(Rollup.Backend.SP1_AGGREGATION);
    }

    function test_aggregate_settlesEveryRangeAsABatchOfItsOwn() public {
        BatchHeader[] memory ranges = _ranges();
        AggregateHeader memory aggregate = _aggregate(ranges);
        _enableAggregation(aggregate);
        for (uint256 k; k < ranges.length; ++k) {
            BatchHeader memory range = ranges[k];
            vm.expectEmit(address(rollup));
            emit Rollup.BatchVerified(
                k,
                Rollup.Backend.SP1_AGGREGATION,
                range.prevStateRoot,
                range.newStateRoot,
                range.inboxStart,
                range.inboxEnd,
                range.withdrawalsRoot,
                range.blobsHash
            );
        }
        rollup.submitAggregate(aggregate, ranges, _openings(3), PROOF);
        assertEq(rollup.stateRoot(), ranges[2].newStateRoot);
        assertEq(rollup.nextInboxIndex(), 6);
        assertEq(rollup.batchCount(), 3);
        assertEq(rollup.withdrawalsRoot(1), keccak256("withdrawals"));
    }

    function test_aggregate_continuesAChainThatSingleBatchesStarted() public {
        _settleAll(keccak256("before"), bytes32(0));
        _append(2);
        BatchHeader[] memory ranges = new BatchHeader[](1);
        ranges[0] = _header(8, keccak256("after"));
        AggregateHeader memory aggregate = _aggregate(ranges);
        _enableAggregation(aggregate);
        rollup.submitAggregate(aggregate, ranges, _openings(1), PROOF);
        assertEq(rollup.batchCount(), 2);
        assertEq(rollup.stateRoot(), keccak256("after"));
    }

    function test_aggregate_isRefusedUntilTheBackendIsEnabled() public {
        BatchHeader[] memory ranges = _ranges();
        AggregateHeader memory aggregate = _aggregate(ranges);
        BlobOpening[][] memory openings = _openings(3);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BackendNotConfigured.selector, Rollup.Backend.SP1_AGGREGATION));
        rollup.submitAggregate(aggregate, ranges, openings, PROOF);
    }

    function test_aggregate_ofRangesProvenWithAnotherProgramIsRefused() public {
        BatchHeader[] memory ranges = _ranges();
        AggregateHeader memory aggregate = _aggregate(ranges);
        aggregate.rangeVKey = keccak256("another program");
        _enableAggregation(aggregate);
        BlobOpening[][] memory openings = _openings(3);
        vm.expectRevert(abi.encodeWithSelector(Rollup.RangeVKeyMismatch.selector, VKEY, aggregate.rangeVKey));
        rollup.submitAggregate(aggregate, ranges, openings, PROOF);
    }

    function test_aggregate_withRangesOtherThanTheProvenOnesIsRefused() public {
        BatchHeader[] memory ranges = _ranges();
        AggregateHeader memory aggregate = _aggregate(ranges);
        _enableAggregation(aggregate);
        BlobOpening[][] memory openings = _openings(3);
        ranges[1].withdrawalsRoot = keccak256("a root the program never saw");
        vm.expectPartialRevert(Rollup.RangesHashMismatch.selector);
        rollup.submitAggregate(aggregate, ranges, openings, PROOF);
    }

    function test_aggregate_withMissingRangesOrOpeningListsIsRefused() public {
        BatchHeader[] memory ranges = _ranges();
        AggregateHeader memory aggregate = _aggregate(ranges);
        _enableAggregation(aggregate);
        BatchHeader[] memory two = new BatchHeader[](2);
        (two[0], two[1]) = (ranges[0], ranges[1]);
        BlobOpening[][] memory openings = _openings(3);
        vm.expectRevert(abi.encodeWithSelector(Rollup.RangeCountMismatch.selector, uint64(3), 2, 3));
        rollup.submitAggregate(aggregate, two, openings, PROOF);
        BlobOpening[][] memory fewer = _openings(2);
        vm.expectRevert(abi.encodeWithSelector(Rollup.RangeCountMismatch.selector, uint64(3), 3, 2));
        rollup.submitAggregate(aggregate, ranges, fewer, PROOF);
    }

    function test_aggregate_mustContinueTheProvenChain() public {
        _settleAll(keccak256("elsewhere"), bytes32(0));
        _append(1);
        BatchHeader[] memory ranges = _ranges();
        AggregateHeader memory aggregate = _aggregate(ranges);
        _enableAggregation(aggregate);
        BlobOpening[][] memory openings = _openings(3);
        vm.expectRevert(abi.encodeWithSelector(Rollup.PrevStateRootMismatch.selector, keccak256("elsewhere"), GENESIS));
        rollup.submitAggregate(aggregate, ranges, openings, PROOF);
    }

    function test_aggregate_checksEachRangesBlobOpenings() public {
        BatchHeader[] memory ranges = _ranges();
        ranges[2].blobsHash = keccak256("a blob the range read");
        AggregateHeader memory aggregate = _aggregate(ranges);
        _enableAggregation(aggregate);
        BlobOpening[][] memory openings = _openings(3);
        vm.expectRevert(
            abi.encodeWithSelector(Rollup.BlobsHashMismatch.selector, bytes32(0), keccak256("a blob the range read"))
        );
        rollup.submitAggregate(aggregate, ranges, openings, PROOF);
    }

    function test_aggregate_passesTheAggregateEncodingToTheVerifier() public {
        BatchHeader[] memory ranges = _ranges();
        AggregateHeader memory aggregate = _aggregate(ranges);
        _enableAggregation(aggregate);
        BlobOpening[][] memory openings = _openings(3);
        vm.expectRevert(ExpectingVerifier.UnexpectedVerification.selector);
        rollup.submitAggregate(aggregate, ranges, openings, hex"a9a8");
    }

    function test_aggregate_isRefusedOnceFrozen() public {
        BatchHeader[] memory ranges = _ranges();
        AggregateHeader memory aggregate = _aggregate(ranges);
        uint64 appendedAt = uint64(block.timestamp);
        _enableAggregation(aggregate); // the timelock outlasts the escape deadline: entry 0 is stale
        rollup.freeze(
            1,
            address(this),
            uint64(block.number),
            appendedAt,
            keccak256(abi.encodePacked(uint8(2), uint32(1), uint64(0)))
        );
        BlobOpening[][] memory openings = _openings(3);
        vm.expectRevert(Rollup.RollupFrozen.selector);
        rollup.submitAggregate(aggregate, ranges, openings, PROOF);
    }
}
