// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {Inbox} from "../Inbox.sol";

contract InboxTest is Test {
    Inbox internal inbox;
    address internal trader = makeAddr("trader");
    address internal relayer = makeAddr("relayer");

    // Order: 0x01 ‖ market 1 ‖ buy ‖ price 2500 ‖ qty 10 ‖ nonce 1 ‖ no expiry (38 bytes).
    bytes internal constant ORDER = hex"01000000010000000000000009c4000000000000000a00000000000000010000000000000000";

    function setUp() public {
        inbox = new Inbox(0, 0, address(this));
        vm.roll(100);
        vm.warp(1_700_000_000);
    }

    function _expectedAcc(bytes32 prev, uint8 kind, address sender, bytes memory payload)
        internal
        view
        returns (bytes32)
    {
        bytes32 entryHash = keccak256(
            abi.encodePacked(kind, sender, uint64(block.number), uint64(block.timestamp), keccak256(payload))
        );
        return keccak256(abi.encodePacked(prev, entryHash));
    }

    function _hashes(uint256 n, uint256 seed) internal pure returns (bytes32[] memory hashes, bytes memory packed) {
        hashes = new bytes32[](n);
        for (uint256 k; k < n; ++k) {
            // A versioned hash: version byte 0x01 then 31 bytes.
            hashes[k] = bytes32((uint256(keccak256(abi.encode(seed, k))) >> 8) | (uint256(1) << 248));
            packed = bytes.concat(packed, hashes[k]);
        }
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                          DIRECT                            */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function test_sendDirect_appendsEntry() public {
        bytes32 acc = _expectedAcc(0, inbox.DIRECT(), trader, ORDER);
        vm.expectEmit(address(inbox));
        emit Inbox.EntryAppended(0, 1, trader, 100, 1_700_000_000, ORDER, acc);
        vm.prank(trader);
        inbox.sendDirect(ORDER);
        assertEq(inbox.count(), 1);
        assertEq(inbox.accAt(0), acc);
    }

    function testFuzz_sendDirect_appendsEntry(address sender, bytes calldata message, uint64 l1Block, uint64 ts)
        public
    {
        vm.assume(message.length > 0 && message.length <= 512);
        vm.roll(l1Block);
        vm.warp(ts);
        bytes32 acc = _expectedAcc(0, 1, sender, message);
        vm.expectEmit(address(inbox));
        emit Inbox.EntryAppended(0, 1, sender, l1Block, ts, message, acc);
        vm.prank(sender);
        inbox.sendDirect(message);
        assertEq(inbox.accAt(0), acc);
    }

    function test_sendDirect_revertsWhenEmpty() public {
        vm.expectRevert(Inbox.EmptyPayload.selector);
        inbox.sendDirect("");
    }

    function test_sendDirect_acceptsMaxPayload() public {
        inbox.sendDirect(new bytes(512));
        assertEq(inbox.count(), 1);
    }

    function test_sendDirect_revertsAboveCap() public {
        vm.expectRevert(abi.encodeWithSelector(Inbox.PayloadTooLarge.selector, 513));
        inbox.sendDirect(new bytes(513));
    }

    function testFuzz_sendDirect_revertsAboveCap(uint256 length) public {
        length = bound(length, 513, 4096);
        vm.expectRevert(abi.encodeWithSelector(Inbox.PayloadTooLarge.selector, length));
        inbox.sendDirect(new bytes(length));
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                          SIGNED                            */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function test_relaySigned_appendsEntryFromRelayer() public {
        bytes memory envelope = bytes.concat(bytes20(trader), ORDER, new bytes(65));
        bytes32 acc = _expectedAcc(0, inbox.SIGNED(), relayer, envelope);
        vm.expectEmit(address(inbox));
        emit Inbox.EntryAppended(0, 2, relayer, 100, 1_700_000_000, envelope, acc);
        vm.prank(relayer);
        inbox.relaySigned(envelope);
        assertEq(inbox.accAt(0), acc);
    }

    function testFuzz_relaySigned_appendsEntryFromRelayer(address sender, bytes calldata envelope) public {
        vm.assume(envelope.length > 0 && envelope.length <= 512);
        vm.prank(sender);
        inbox.relaySigned(envelope);
        assertEq(inbox.accAt(0), _expectedAcc(0, 2, sender, envelope));
    }

    function test_relaySigned_revertsWhenEmpty() public {
        vm.expectRevert(Inbox.EmptyPayload.selector);
        inbox.relaySigned("");
    }

    function test_relaySigned_revertsAboveCap() public {
        vm.expectRevert(abi.encodeWithSelector(Inbox.PayloadTooLarge.selector, 513));
        inbox.relaySigned(new bytes(513));
    }

    function testFuzz_relaySigned_revertsAboveCap(uint256 length) public {
        length = bound(length, 513, 4096);
        vm.expectRevert(abi.encodeWithSelector(Inbox.PayloadTooLarge.selector, length));
        inbox.relaySigned(new bytes(length));
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                          DEPOSIT                           */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function test_enqueueDeposit_appendsPackedPayloadFromVault() public {
        address token = makeAddr("token");
        bytes memory payload = abi.encodePacked(trader, token, uint256(1e18));
        assertEq(payload.length, 72);
        bytes32 acc = _expectedAcc(0, inbox.DEPOSIT(), address(inbox.vault()), payload);
        vm.expectEmit(address(inbox));
        emit Inbox.EntryAppended(0, 3, address(inbox.vault()), 100, 1_700_000_000, payload, acc);
        vm.prank(address(inbox.vault()));
        inbox.enqueueDeposit(trader, token, 1e18);
    }

    function testFuzz_enqueueDeposit_appendsPackedPayloadFromVault(address who, address token, uint256 amount) public {
        vm.prank(address(inbox.vault()));
        inbox.enqueueDeposit(who, token, amount);
        bytes memory payload = abi.encodePacked(who, token, amount);
        assertEq(inbox.accAt(0), _expectedAcc(0, 3, address(inbox.vault()), payload));
    }

    function test_enqueueDeposit_revertsForNonVault() public {
        vm.prank(trader);
        vm.expectRevert(Inbox.OnlyVault.selector);
        inbox.enqueueDeposit(trader, address(1), 1);
    }

    function testFuzz_enqueueDeposit_revertsForNonVault(address caller) public {
        vm.assume(caller != address(inbox.vault()));
        vm.prank(caller);
        vm.expectRevert(Inbox.OnlyVault.selector);
        inbox.enqueueDeposit(caller, address(1), 1);
    }

    function test_constructor_bindsVaultToInbox() public view {
        assertEq(address(inbox.vault().inbox()), address(inbox));
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                        BLOB BATCH                          */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function test_proposeBatch_recordsEveryVersionedHash() public {
        (bytes32[] memory hashes, bytes memory payload) = _hashes(2, 0);
        vm.blobhashes(hashes);
        bytes32 acc = _expectedAcc(0, inbox.BLOB_BATCH(), relayer, payload);
        vm.expectEmit(address(inbox));
        emit Inbox.EntryAppended(0, 4, relayer, 100, 1_700_000_000, payload, acc);
        vm.prank(relayer);
        inbox.proposeBatch();
        assertEq(inbox.accAt(0), acc);
    }

    function testFuzz_proposeBatch_recordsEveryVersionedHash(uint256 n, uint256 seed) public {
        n = bound(n, 1, 9);
        (bytes32[] memory hashes, bytes memory payload) = _hashes(n, seed);
        vm.blobhashes(hashes);
        vm.prank(relayer);
        inbox.proposeBatch();
        assertEq(inbox.accAt(0), _expectedAcc(0, 4, relayer, payload));
    }

    function test_proposeBatch_revertsWithoutBlob() public {
        vm.expectRevert(Inbox.NoBlobAttached.selector);
        inbox.proposeBatch();
    }

    function testFuzz_proposeBatch_revertsWithoutBlob(address caller) public {
        vm.blobhashes(new bytes32[](0));
        vm.prank(caller);
        vm.expectRevert(Inbox.NoBlobAttached.selector);
        inbox.proposeBatch();
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                        ACCUMULATOR                         */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function test_accumulator_chainsAcrossKinds() public {
        vm.prank(trader);
        inbox.sendDirect(ORDER);
        bytes32 acc0 = _expectedAcc(0, 1, trader, ORDER);

        vm.roll(101);
        vm.warp(1_700_000_012);
        vm.prank(relayer);
        inbox.relaySigned(ORDER);
        bytes32 acc1 = _expectedAcc(acc0, 2, relayer, ORDER);

        (bytes32[] memory hashes, bytes memory payload) = _hashes(1, 7);
        vm.blobhashes(hashes);
        vm.prank(relayer);
        inbox.proposeBatch();
        bytes32 acc2 = _expectedAcc(acc1, 4, relayer, payload);

        assertEq(inbox.count(), 3);
        assertEq(inbox.accAt(0), acc0);
        assertEq(inbox.accAt(1), acc1);
        assertEq(inbox.accAt(2), acc2);
        assertEq(inbox.accBefore(0), bytes32(0));
        assertEq(inbox.accBefore(1), acc0);
        assertEq(inbox.accBefore(3), acc2);
    }

    function testFuzz_accumulator_chainsDirectMessages(bytes[4] calldata messages) public {
        bytes32 acc;
        for (uint256 i; i < messages.length; ++i) {
            vm.assume(messages[i].length > 0 && messages[i].length <= 512);
            vm.roll(100 + i);
            vm.prank(trader);
            inbox.sendDirect(messages[i]);
            acc = _expectedAcc(acc, 1, trader, messages[i]);
            assertEq(inbox.accAt(i), acc);
            assertEq(inbox.accBefore(i + 1), acc);
        }
        assertEq(inbox.count(), messages.length);
    }

    function test_accAt_revertsOutOfRange() public {
        vm.expectRevert(abi.encodeWithSelector(Inbox.IndexOutOfRange.selector, 0, 0));
        inbox.accAt(0);
        inbox.sendDirect(ORDER);
        vm.expectRevert(abi.encodeWithSelector(Inbox.IndexOutOfRange.selector, 1, 1));
        inbox.accAt(1);
    }

    function testFuzz_accBefore_revertsPastCount(uint256 index) public {
        inbox.sendDirect(ORDER);
        index = bound(index, 2, type(uint256).max);
        vm.expectRevert(abi.encodeWithSelector(Inbox.IndexOutOfRange.selector, index - 1, 1));
        inbox.accBefore(index);
    }
}
