// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {RollupFixture} from "./utils/RollupFixture.sol";
import {Inbox} from "../Inbox.sol";
import {Rollup} from "../Rollup.sol";
import {MockVerifier} from "../MockVerifier.sol";
import {ISP1Verifier} from "../interfaces/ISP1Verifier.sol";
import {BatchHeader, PublicValues} from "../PublicValues.sol";

contract RollupTest is RollupFixture {
    event BatchVerified(
        uint256 indexed batchNumber,
        Rollup.Backend indexed backend,
        bytes32 prevStateRoot,
        bytes32 newStateRoot,
        uint64 inboxStart,
        uint64 inboxEnd,
        bytes32 withdrawalsRoot,
        bytes32 blobsHash
    );

    function setUp() public {
        _deployStack();
    }

    function test_constructor_storesConfiguration() public view {
        assertEq(address(rollup.inbox()), address(inbox));
        assertEq(address(rollup.verifier()), address(verifier));
        assertEq(rollup.programVKey(), VKEY);
        assertEq(rollup.stateRoot(), GENESIS);
        assertEq(rollup.nextInboxIndex(), 0);
        assertEq(rollup.batchCount(), 0);
        assertEq(rollup.owner(), owner);
        assertEq(rollup.upgradeDelay(), UPGRADE_DELAY);
        assertEq(rollup.escapeDeadline(), ESCAPE_DEADLINE);
        assertFalse(rollup.frozen());
        (ISP1Verifier zisk, bytes32 ziskKey) = rollup.programVerifier(Rollup.Backend.ZISK);
        assertEq(address(zisk), address(0));
        assertEq(ziskKey, bytes32(0));
    }

    function testFuzz_constructor_storesConfiguration(
        address verifierAddress,
        bytes32 vkey,
        bytes32 genesis,
        uint256 deadline,
        uint256 delay
    ) public {
        deadline = bound(deadline, 1, 365 days);
        delay = bound(delay, deadline + 1, 730 days);
        Rollup other = new Rollup(inbox, MockVerifier(verifierAddress), vkey, genesis, owner, delay, deadline);
        assertEq(address(other.verifier()), verifierAddress);
        assertEq(other.programVKey(), vkey);
        assertEq(other.stateRoot(), genesis);
        assertEq(other.nextInboxIndex(), 0);
        assertEq(other.upgradeDelay(), delay);
        assertEq(other.escapeDeadline(), deadline);
    }

    function test_constructor_revertsWhenDelayNotAboveDeadline() public {
        vm.expectRevert(abi.encodeWithSelector(Rollup.BadDelays.selector, 7 days, 7 days));
        new Rollup(inbox, verifier, VKEY, GENESIS, owner, 7 days, 7 days);
    }

    function testFuzz_constructor_revertsOnBadDelays(uint256 delay, uint256 deadline) public {
        vm.assume(deadline == 0 || delay <= deadline);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BadDelays.selector, delay, deadline));
        new Rollup(inbox, verifier, VKEY, GENESIS, owner, delay, deadline);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                        HAPPY PATHS                         */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function test_submitBatch_advancesState() public {
        _append(3);
        BatchHeader memory header = _header(3, keccak256("root-1"));
        header.withdrawalsRoot = keccak256("withdrawals-1");
        vm.expectCall(
            address(verifier), abi.encodeCall(ISP1Verifier.verifyProof, (VKEY, PublicValues.encode(header), ""))
        );
        vm.expectEmit(address(rollup));
        emit BatchVerified(
            0, Rollup.Backend.SP1, GENESIS, header.newStateRoot, 0, 3, header.withdrawalsRoot, bytes32(0)
        );
        rollup.submitBatch(header, _noOpenings(), "");
        assertEq(rollup.stateRoot(), keccak256("root-1"));
        assertEq(rollup.nextInboxIndex(), 3);
        assertEq(rollup.batchCount(), 1);
        assertEq(rollup.withdrawalsRoot(0), keccak256("withdrawals-1"));
    }

    function testFuzz_submitBatch_advancesState(uint8 entries, uint8 end, bytes32 newRoot, bytes32 wroot) public {
        entries = uint8(bound(entries, 1, 20));
        end = uint8(bound(end, 1, entries));
        _append(entries);
        BatchHeader memory header = _header(end, newRoot);
        header.withdrawalsRoot = wroot;
        rollup.submitBatch(header, _noOpenings(), "");
        assertEq(rollup.stateRoot(), newRoot);
        assertEq(rollup.nextInboxIndex(), end);
        assertEq(rollup.withdrawalsRoot(0), wroot);
    }

    function test_submitBatch_chainsConsecutiveBatches() public {
        _append(2);
        rollup.submitBatch(_header(2, keccak256("root-1")), _noOpenings(), "");
        _append(3);
        BatchHeader memory second = _header(5, keccak256("root-2"));
        assertEq(second.inboxStartAcc, inbox.accAt(1));
        vm.expectEmit(address(rollup));
        emit BatchVerified(
            1, Rollup.Backend.SP1, keccak256("root-1"), keccak256("root-2"), 2, 5, bytes32(0), bytes32(0)
        );
        rollup.submitBatch(second, _noOpenings(), "");
        assertEq(rollup.stateRoot(), keccak256("root-2"));
        assertEq(rollup.nextInboxIndex(), 5);
        assertEq(rollup.batchCount(), 2);
    }

    function testFuzz_submitBatch_chainsConsecutiveBatches(uint8[4] calldata sizes) public {
        uint64 end;
        for (uint256 i; i < sizes.length; ++i) {
            uint256 size = bound(sizes[i], 1, 5);
            _append(size);
            // casting to uint64 is safe because size is bounded to [1, 5]
            // forge-lint: disable-next-line(unsafe-typecast)
            end += uint64(size);
            bytes32 root = keccak256(abi.encode(i));
            rollup.submitBatch(_header(end, root), _noOpenings(), "");
            assertEq(rollup.stateRoot(), root);
            assertEq(rollup.nextInboxIndex(), end);
        }
        assertEq(rollup.batchCount(), sizes.length);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                       FAILED CHECKS                        */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function test_submitBatch_revertsOnWrongPrevStateRoot() public {
        _append(1);
        BatchHeader memory header = _header(1, bytes32(0));
        header.prevStateRoot = keccak256("other");
        vm.expectRevert(abi.encodeWithSelector(Rollup.PrevStateRootMismatch.selector, GENESIS, header.prevStateRoot));
        rollup.submitBatch(header, _noOpenings(), "");
    }

    function testFuzz_submitBatch_revertsOnWrongPrevStateRoot(bytes32 prev) public {
        vm.assume(prev != GENESIS);
        _append(1);
        BatchHeader memory header = _header(1, bytes32(0));
        header.prevStateRoot = prev;
        vm.expectRevert(abi.encodeWithSelector(Rollup.PrevStateRootMismatch.selector, GENESIS, prev));
        rollup.submitBatch(header, _noOpenings(), "");
    }

    function test_submitBatch_revertsOnWrongInboxStart() public {
        _append(2);
        rollup.submitBatch(_header(1, keccak256("root-1")), _noOpenings(), "");
        BatchHeader memory header = _header(2, keccak256("root-2"));
        header.inboxStart = 0;
        vm.expectRevert(abi.encodeWithSelector(Rollup.InboxStartMismatch.selector, 1, 0));
        rollup.submitBatch(header, _noOpenings(), "");
    }

    function testFuzz_submitBatch_revertsOnWrongInboxStart(uint64 start) public {
        vm.assume(start != 0);
        _append(2);
        BatchHeader memory header = _header(2, bytes32(0));
        header.inboxStart = start;
        vm.expectRevert(abi.encodeWithSelector(Rollup.InboxStartMismatch.selector, 0, start));
        rollup.submitBatch(header, _noOpenings(), "");
    }

    function test_submitBatch_revertsOnEmptyRange() public {
        _append(1);
        BatchHeader memory header = _header(1, bytes32(0));
        header.inboxEnd = 0;
        vm.expectRevert(abi.encodeWithSelector(Rollup.EmptyInboxRange.selector, 0, 0));
        rollup.submitBatch(header, _noOpenings(), "");
    }

    function testFuzz_submitBatch_revertsOnEmptyRange(uint8 first, uint8 end) public {
        first = uint8(bound(first, 1, 10));
        _append(first + 1);
        rollup.submitBatch(_header(first, keccak256("root-1")), _noOpenings(), "");
        end = uint8(bound(end, 0, first));
        BatchHeader memory header = _header(first + 1, bytes32(0));
        header.inboxEnd = end;
        vm.expectRevert(abi.encodeWithSelector(Rollup.EmptyInboxRange.selector, first, end));
        rollup.submitBatch(header, _noOpenings(), "");
    }

    function test_submitBatch_revertsPastInboxCount() public {
        _append(2);
        BatchHeader memory header = _header(2, bytes32(0));
        header.inboxEnd = 3;
        vm.expectRevert(abi.encodeWithSelector(Rollup.InboxEndBeyondCount.selector, 3, 2));
        rollup.submitBatch(header, _noOpenings(), "");
    }

    function testFuzz_submitBatch_revertsPastInboxCount(uint8 entries, uint64 end) public {
        entries = uint8(bound(entries, 0, 10));
        end = uint64(bound(end, uint256(entries) + 1, type(uint64).max));
        _append(entries);
        BatchHeader memory header;
        header.prevStateRoot = GENESIS;
        header.inboxEnd = end;
        vm.expectRevert(abi.encodeWithSelector(Rollup.InboxEndBeyondCount.selector, end, entries));
        rollup.submitBatch(header, _noOpenings(), "");
    }

    function test_submitBatch_revertsOnWrongStartAcc() public {
        _append(2);
        rollup.submitBatch(_header(1, keccak256("root-1")), _noOpenings(), "");
        BatchHeader memory header = _header(2, bytes32(0));
        header.inboxStartAcc = bytes32(0);
        vm.expectRevert(abi.encodeWithSelector(Rollup.InboxStartAccMismatch.selector, inbox.accAt(0), bytes32(0)));
        rollup.submitBatch(header, _noOpenings(), "");
    }

    function testFuzz_submitBatch_revertsOnWrongStartAcc(bytes32 acc) public {
        vm.assume(acc != bytes32(0));
        _append(1);
        BatchHeader memory header = _header(1, bytes32(0));
        header.inboxStartAcc = acc; // must be zero at index 0
        vm.expectRevert(abi.encodeWithSelector(Rollup.InboxStartAccMismatch.selector, bytes32(0), acc));
        rollup.submitBatch(header, _noOpenings(), "");
    }

    function test_submitBatch_revertsOnWrongEndAcc() public {
        _append(2);
        BatchHeader memory header = _header(2, bytes32(0));
        header.inboxEndAcc = inbox.accAt(0);
        vm.expectRevert(abi.encodeWithSelector(Rollup.InboxEndAccMismatch.selector, inbox.accAt(1), inbox.accAt(0)));
        rollup.submitBatch(header, _noOpenings(), "");
    }

    function testFuzz_submitBatch_revertsOnWrongEndAcc(bytes32 acc) public {
        _append(1);
        vm.assume(acc != inbox.accAt(0));
        BatchHeader memory header = _header(1, bytes32(0));
        header.inboxEndAcc = acc;
        vm.expectRevert(abi.encodeWithSelector(Rollup.InboxEndAccMismatch.selector, inbox.accAt(0), acc));
        rollup.submitBatch(header, _noOpenings(), "");
    }

    function test_submitBatch_revertsOnNonEmptyProof() public {
        _append(1);
        BatchHeader memory header = _header(1, keccak256("root-1"));
        vm.expectRevert(MockVerifier.MockVerifierNonEmptyProof.selector);
        rollup.submitBatch(header, _noOpenings(), hex"deadbeef");
        assertEq(rollup.stateRoot(), GENESIS);
    }

    function testFuzz_submitBatch_revertsOnNonEmptyProof(bytes calldata proof) public {
        vm.assume(proof.length > 0);
        _append(1);
        BatchHeader memory header = _header(1, keccak256("root-1"));
        vm.expectRevert(MockVerifier.MockVerifierNonEmptyProof.selector);
        rollup.submitBatch(header, _noOpenings(), proof);
    }

    function test_submitBatch_bubblesVerifierRejection() public {
        _append(1);
        BatchHeader memory header = _header(1, keccak256("root-1"));
        bytes memory proof = hex"c0ffee";
        vm.mockCallRevert(
            address(verifier),
            abi.encodeCall(ISP1Verifier.verifyProof, (VKEY, PublicValues.encode(header), proof)),
            abi.encodeWithSignature("InvalidProof()")
        );
        vm.expectRevert(abi.encodeWithSignature("InvalidProof()"));
        rollup.submitBatch(header, _noOpenings(), proof);
    }

    function testFuzz_submitBatch_passesPublicValuesToVerifier(bytes32 newRoot, bytes calldata proof) public {
        _append(1);
        BatchHeader memory header = _header(1, newRoot);
        // Stand in for a real verifier: accept exactly this (vkey, public values, proof).
        vm.mockCall(
            address(verifier), abi.encodeCall(ISP1Verifier.verifyProof, (VKEY, PublicValues.encode(header), proof)), ""
        );
        rollup.submitBatch(header, _noOpenings(), proof);
        assertEq(rollup.stateRoot(), newRoot);
    }
}
