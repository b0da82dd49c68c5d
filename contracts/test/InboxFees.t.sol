// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {Inbox} from "../Inbox.sol";

/// @notice Withdrawal requests, the anti-spam fees and `isEntry`.
contract InboxFeesTest is Test {
    event FeesWithdrawn(address indexed recipient, uint256 amount);

    uint256 internal constant ENTRY_FEE = 0.0001 ether;
    uint256 internal constant BLOB_FEE = 0.001 ether;
    bytes internal constant CANCEL = hex"02000000010000000000000001";

    Inbox internal free;
    Inbox internal paid;
    address internal trader = makeAddr("trader");
    address internal token = makeAddr("token");
    address internal recipient = makeAddr("feeRecipient");

    function setUp() public {
        free = new Inbox(0, 0, address(this));
        paid = new Inbox(ENTRY_FEE, BLOB_FEE, recipient);
        vm.deal(trader, 10 ether);
        vm.roll(100);
        vm.warp(1_700_000_000);
    }

    function _acc0(uint8 kind, address sender, bytes memory payload) internal view returns (bytes32) {
        bytes32 entryHash = keccak256(
            abi.encodePacked(kind, sender, uint64(block.number), uint64(block.timestamp), keccak256(payload))
        );
        return keccak256(abi.encodePacked(bytes32(0), entryHash));
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                        WITHDRAWAL                          */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function test_requestWithdrawal_appendsTokenAndAmount() public {
        bytes memory payload = abi.encodePacked(token, uint256(250e18));
        assertEq(payload.length, 52);
        bytes32 acc = _acc0(5, trader, payload);
        vm.expectEmit(address(free));
        emit Inbox.EntryAppended(0, 5, trader, 100, 1_700_000_000, payload, acc);
        vm.prank(trader);
        free.requestWithdrawal(token, 250e18);
        assertEq(free.accAt(0), acc);
        assertEq(free.WITHDRAWAL(), 5);
    }

    function testFuzz_requestWithdrawal_appendsTokenAndAmount(address who, address anyToken, uint256 amount) public {
        vm.assume(amount != 0);
        vm.prank(who);
        free.requestWithdrawal(anyToken, amount);
        assertEq(free.accAt(0), _acc0(5, who, abi.encodePacked(anyToken, amount)));
    }

    function test_requestWithdrawal_revertsOnZero() public {
        vm.expectRevert(Inbox.ZeroWithdrawal.selector);
        free.requestWithdrawal(token, 0);
    }

    function testFuzz_requestWithdrawal_revertsOnZero(address who, address anyToken) public {
        vm.prank(who);
        vm.expectRevert(Inbox.ZeroWithdrawal.selector);
        free.requestWithdrawal(anyToken, 0);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                           FEES                             */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function test_entryFee_isChargedOnEveryTraderEntry() public {
        vm.startPrank(trader);
        paid.sendDirect{value: ENTRY_FEE}(CANCEL);
        paid.relaySigned{value: ENTRY_FEE}(CANCEL);
        paid.requestWithdrawal{value: ENTRY_FEE}(token, 1);
        vm.stopPrank();
        assertEq(address(paid).balance, 3 * ENTRY_FEE);
        assertEq(paid.count(), 3);
    }

    function testFuzz_entryFee_revertsUnlessExact(uint256 value) public {
        value = bound(value, 0, 1 ether);
        vm.assume(value != ENTRY_FEE);
        vm.startPrank(trader);
        vm.expectRevert(abi.encodeWithSelector(Inbox.WrongFee.selector, ENTRY_FEE, value));
        paid.sendDirect{value: value}(CANCEL);
        vm.expectRevert(abi.encodeWithSelector(Inbox.WrongFee.selector, ENTRY_FEE, value));
        paid.relaySigned{value: value}(CANCEL);
        vm.expectRevert(abi.encodeWithSelector(Inbox.WrongFee.selector, ENTRY_FEE, value));
        paid.requestWithdrawal{value: value}(token, 1);
        vm.stopPrank();
    }

    function test_blobFee_isChargedPerBlob() public {
        bytes32[] memory hashes = new bytes32[](3);
        for (uint256 k; k < 3; ++k) {
            hashes[k] = bytes32(uint256(0x01) << 248 | k);
        }
        vm.blobhashes(hashes);
        vm.prank(trader);
        vm.expectRevert(abi.encodeWithSelector(Inbox.WrongFee.selector, 3 * BLOB_FEE, BLOB_FEE));
        paid.proposeBatch{value: BLOB_FEE}();
        vm.prank(trader);
        paid.proposeBatch{value: 3 * BLOB_FEE}();
        assertEq(address(paid).balance, 3 * BLOB_FEE);
    }

    function testFuzz_blobFee_isChargedPerBlob(uint256 n) public {
        n = bound(n, 1, 9);
        bytes32[] memory hashes = new bytes32[](n);
        for (uint256 k; k < n; ++k) {
            hashes[k] = bytes32(uint256(0x01) << 248 | k);
        }
        vm.blobhashes(hashes);
        vm.prank(trader);
        paid.proposeBatch{value: n * BLOB_FEE}();
        assertEq(address(paid).balance, n * BLOB_FEE);
    }

    function test_withdrawFees_paysTheRecipient() public {
        vm.prank(trader);
        paid.sendDirect{value: ENTRY_FEE}(CANCEL);
        vm.expectEmit(address(paid));
        emit FeesWithdrawn(recipient, ENTRY_FEE);
        paid.withdrawFees();
        assertEq(recipient.balance, ENTRY_FEE);
        assertEq(address(paid).balance, 0);
    }

    function testFuzz_withdrawFees_paysTheRecipient(uint8 entries, address caller) public {
        entries = uint8(bound(entries, 0, 20));
        for (uint256 i; i < entries; ++i) {
            vm.prank(trader);
            paid.sendDirect{value: ENTRY_FEE}(CANCEL);
        }
        vm.prank(caller);
        paid.withdrawFees();
        assertEq(recipient.balance, entries * ENTRY_FEE);
    }

    function test_withdrawFees_revertsWhenRecipientRefuses() public {
        Inbox refused = new Inbox(ENTRY_FEE, 0, address(this)); // this test contract has no receive()
        vm.prank(trader);
        refused.sendDirect{value: ENTRY_FEE}(CANCEL);
        vm.expectRevert(Inbox.FeeTransferFailed.selector);
        refused.withdrawFees();
        // Entries keep flowing: the fee is pulled, never pushed.
        vm.prank(trader);
        refused.sendDirect{value: ENTRY_FEE}(CANCEL);
        assertEq(refused.count(), 2);
    }

    function testFuzz_withdrawFees_revertsWhenRecipientRefuses(uint8 entries) public {
        entries = uint8(bound(entries, 1, 10));
        Inbox refused = new Inbox(ENTRY_FEE, 0, address(this));
        for (uint256 i; i < entries; ++i) {
            vm.prank(trader);
            refused.sendDirect{value: ENTRY_FEE}(CANCEL);
        }
        vm.expectRevert(Inbox.FeeTransferFailed.selector);
        refused.withdrawFees();
        assertEq(address(refused).balance, entries * ENTRY_FEE);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                         isEntry                            */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function test_isEntry_matchesOnlyTheRecordedFields() public {
        vm.prank(trader);
        free.sendDirect(CANCEL);
        vm.roll(101);
        vm.warp(1_700_000_012);
        vm.prank(trader);
        free.requestWithdrawal(token, 7);
        bytes32 payloadHash = keccak256(abi.encodePacked(token, uint256(7)));
        assertTrue(free.isEntry(1, 5, trader, 101, 1_700_000_012, payloadHash));
        assertTrue(free.isEntry(0, 1, trader, 100, 1_700_000_000, keccak256(CANCEL)));
        assertFalse(free.isEntry(1, 5, trader, 101, 1_700_000_000, payloadHash));
        assertFalse(free.isEntry(1, 1, trader, 101, 1_700_000_012, payloadHash));
        assertFalse(free.isEntry(2, 5, trader, 101, 1_700_000_012, payloadHash));
    }

    function testFuzz_isEntry_rejectsAnyOtherTimestamp(uint64 claimed) public {
        vm.assume(claimed != 1_700_000_000);
        vm.prank(trader);
        free.sendDirect(CANCEL);
        assertTrue(free.isEntry(0, 1, trader, 100, 1_700_000_000, keccak256(CANCEL)));
        assertFalse(free.isEntry(0, 1, trader, 100, claimed, keccak256(CANCEL)));
    }
}
