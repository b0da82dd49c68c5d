// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {RollupFixture} from "./utils/RollupFixture.sol";
import {Vault} from "../Vault.sol";
import {Rollup} from "../Rollup.sol";
import {DevToken} from "../DevToken.sol";
import {BatchHeader} from "../PublicValues.sol";

/// @notice The escape hatch (docs/PROTOCOL.md section 12): freezing on a stale inbox, paying
///         proven balances by account-leaf proof, refunding unproven deposits.
contract EscapeTest is RollupFixture {
    event Frozen(uint256 indexed inboxIndex, uint64 l1Timestamp);

    DevToken internal token;
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    uint64 internal constant T0 = 1_700_000_000;

    function setUp() public {
        vm.roll(100);
        vm.warp(T0);
        _deployStack();
        token = new DevToken("Dev USD", "DUSD", 6);
    }

    function _deposit(address who, uint256 amount) internal returns (uint256 index) {
        index = inbox.count();
        token.mint(who, amount);
        vm.startPrank(who);
        token.approve(address(vault), amount);
        vault.deposit(address(token), amount);
        vm.stopPrank();
    }

    /// @dev Freezes on the oldest unproven entry, a deposit by `who` of `amount` at block 100/T0.
    function _freezeOnDeposit(address who, uint256 amount) internal {
        vm.warp(T0 + ESCAPE_DEADLINE + 1);
        rollup.freeze(3, address(vault), 100, T0, keccak256(abi.encodePacked(who, address(token), amount)));
    }

    /// @dev Proves a state whose balances tree holds `leaves` (restHash fixed).
    function _proveBalances(bytes32[] memory leaves) internal returns (bytes32 restHash) {
        restHash = keccak256("rest");
        _settleAll(keccak256(abi.encodePacked(_merkleRoot(leaves), restHash)), bytes32(0));
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                          freeze                            */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function test_freeze_afterDeadlineStopsBatches() public {
        _deposit(alice, 100e6);
        vm.warp(T0 + ESCAPE_DEADLINE + 1);
        vm.expectEmit(address(rollup));
        emit Frozen(0, T0);
        rollup.freeze(3, address(vault), 100, T0, keccak256(abi.encodePacked(alice, address(token), uint256(100e6))));
        assertTrue(rollup.frozen());
        BatchHeader memory header = _header(1, keccak256("late"));
        vm.expectRevert(Rollup.RollupFrozen.selector);
        rollup.submitBatch(header, _noOpenings(), "");
    }

    function testFuzz_freeze_onlyAfterDeadline(uint256 wait) public {
        wait = bound(wait, 0, 3 * ESCAPE_DEADLINE);
        _deposit(alice, 100e6);
        vm.warp(T0 + wait);
        bytes32 payloadHash = keccak256(abi.encodePacked(alice, address(token), uint256(100e6)));
        if (wait <= ESCAPE_DEADLINE) {
            vm.expectRevert(abi.encodeWithSelector(Rollup.EscapeDeadlineNotReached.selector, T0 + ESCAPE_DEADLINE));
        }
        rollup.freeze(3, address(vault), 100, T0, payloadHash);
        assertEq(rollup.frozen(), wait > ESCAPE_DEADLINE);
    }

    function test_freeze_revertsOnAForgedTimestamp() public {
        _deposit(alice, 100e6);
        vm.warp(T0 + ESCAPE_DEADLINE);
        // Claiming the entry is one second older than it is must not work.
        bytes32 payloadHash = keccak256(abi.encodePacked(alice, address(token), uint256(100e6)));
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotOldestUnprovenEntry.selector, 0));
        rollup.freeze(3, address(vault), 100, T0 - 1, payloadHash);
    }

    function testFuzz_freeze_revertsOnAnyOtherEntry(uint8 kind, address sender, bytes32 payloadHash) public {
        _deposit(alice, 100e6);
        bytes32 real = keccak256(abi.encodePacked(alice, address(token), uint256(100e6)));
        vm.assume(kind != 3 || sender != address(vault) || payloadHash != real);
        vm.warp(T0 + ESCAPE_DEADLINE + 1);
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotOldestUnprovenEntry.selector, 0));
        rollup.freeze(kind, sender, 100, T0, payloadHash);
    }

    function test_freeze_revertsWhenEverythingIsProven() public {
        _deposit(alice, 100e6);
        _settleAll(keccak256("root"), bytes32(0));
        vm.warp(T0 + 10 * ESCAPE_DEADLINE);
        vm.expectRevert(Rollup.NothingUnproven.selector);
        rollup.freeze(3, address(vault), 100, T0, keccak256(abi.encodePacked(alice, address(token), uint256(100e6))));
    }

    function testFuzz_freeze_needsTheOldestUnprovenEntry(uint8 proven) public {
        proven = uint8(bound(proven, 1, 5));
        _append(proven + 1);
        BatchHeader memory header = _header(proven, keccak256("root"));
        rollup.submitBatch(header, _noOpenings(), "");
        vm.warp(T0 + ESCAPE_DEADLINE + 1);
        // Entry 0 is proven: pointing at it is refused; entry `proven` (a cancel by this test) works.
        vm.expectRevert(abi.encodeWithSelector(Rollup.NotOldestUnprovenEntry.selector, proven));
        rollup.freeze(1, address(this), 100, T0, keccak256(abi.encodePacked(uint8(2), uint32(1), uint64(0))));
        rollup.freeze(1, address(this), 100, T0, keccak256(abi.encodePacked(uint8(2), uint32(1), uint64(proven))));
        assertTrue(rollup.frozen());
        vm.expectRevert(Rollup.RollupFrozen.selector);
        rollup.freeze(1, address(this), 100, T0, keccak256(abi.encodePacked(uint8(2), uint32(1), uint64(proven))));
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                          escape                            */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function test_escape_paysProvenBalanceOnce() public {
        _deposit(alice, 100e6);
        _deposit(bob, 50e6);
        bytes32[] memory leaves = new bytes32[](2);
        leaves[0] = vault.balanceLeaf(alice, address(token), 70e6, 10e6);
        leaves[1] = vault.balanceLeaf(bob, address(token), 70e6, 0);
        bytes32 restHash = _proveBalances(leaves);
        _deposit(alice, 5e6); // inbox index 2, never proven
        vm.warp(block.timestamp + ESCAPE_DEADLINE + 1);
        rollup.freeze(3, address(vault), 100, T0, keccak256(abi.encodePacked(alice, address(token), uint256(5e6))));

        vm.prank(alice);
        vault.escape(address(token), 70e6, 10e6, _merkleProof(leaves, 0), restHash);
        assertEq(token.balanceOf(alice), 80e6);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Vault.AlreadyEscaped.selector, alice, address(token)));
        vault.escape(address(token), 70e6, 10e6, _merkleProof(leaves, 0), restHash);

        vm.prank(bob);
        vault.escape(address(token), 70e6, 0, _merkleProof(leaves, 1), restHash);
        assertEq(token.balanceOf(bob), 70e6);
        vault.reclaimDeposit(2, alice, address(token), 5e6, 100, T0);
        assertEq(token.balanceOf(alice), 85e6);
        assertEq(token.balanceOf(address(vault)), 0);
    }

    function testFuzz_escape_paysEveryLeafOnce(uint8 n, uint256 seed) public {
        n = uint8(bound(n, 1, 8));
        bytes32[] memory leaves = new bytes32[](n);
        address[] memory traders = new address[](n);
        uint128[] memory available = new uint128[](n);
        uint256 total;
        for (uint256 i; i < n; ++i) {
            traders[i] = address(uint160(uint256(keccak256(abi.encode(seed, i)))) | 1);
            available[i] = uint128(bound(uint256(keccak256(abi.encode(seed, i, 1))), 1, 1e24));
            leaves[i] = vault.balanceLeaf(traders[i], address(token), available[i], 0);
            total += available[i];
        }
        _deposit(alice, total);
        bytes32 restHash = _proveBalances(leaves);
        _append(1);
        vm.warp(block.timestamp + ESCAPE_DEADLINE + 1);
        rollup.freeze(1, address(this), 100, T0, keccak256(abi.encodePacked(uint8(2), uint32(1), uint64(1))));
        for (uint256 i; i < n; ++i) {
            vm.prank(traders[i]);
            vault.escape(address(token), available[i], 0, _merkleProof(leaves, i), restHash);
        }
        assertEq(token.balanceOf(address(vault)), 0);
    }

    function test_escape_revertsWhileNotFrozen() public {
        vm.prank(alice);
        vm.expectRevert(Vault.NotFrozen.selector);
        vault.escape(address(token), 1, 0, new bytes32[](0), bytes32(0));
    }

    function testFuzz_escape_revertsOnWrongBalance(uint128 available, uint128 locked) public {
        vm.assume(available != 70e6 || locked != 10e6);
        _deposit(alice, 100e6);
        bytes32[] memory leaves = new bytes32[](1);
        leaves[0] = vault.balanceLeaf(alice, address(token), 70e6, 10e6);
        bytes32 restHash = _proveBalances(leaves);
        _append(1);
        vm.warp(block.timestamp + ESCAPE_DEADLINE + 1);
        rollup.freeze(1, address(this), 100, T0, keccak256(abi.encodePacked(uint8(2), uint32(1), uint64(1))));
        vm.prank(alice);
        vm.expectRevert(Vault.InvalidBalanceProof.selector);
        vault.escape(address(token), available, locked, new bytes32[](0), restHash);
    }

    function test_escape_revertsForAnotherTradersLeaf() public {
        _deposit(alice, 100e6);
        bytes32[] memory leaves = new bytes32[](1);
        leaves[0] = vault.balanceLeaf(alice, address(token), 100e6, 0);
        bytes32 restHash = _proveBalances(leaves);
        _append(1);
        vm.warp(block.timestamp + ESCAPE_DEADLINE + 1);
        rollup.freeze(1, address(this), 100, T0, keccak256(abi.encodePacked(uint8(2), uint32(1), uint64(1))));
        vm.prank(bob);
        vm.expectRevert(Vault.InvalidBalanceProof.selector);
        vault.escape(address(token), 100e6, 0, new bytes32[](0), restHash);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                      reclaimDeposit                        */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function test_reclaimDeposit_refundsUnprovenDepositOnce() public {
        _deposit(alice, 100e6);
        _freezeOnDeposit(alice, 100e6);
        vault.reclaimDeposit(0, alice, address(token), 100e6, 100, T0);
        assertEq(token.balanceOf(alice), 100e6);
        assertTrue(vault.depositReclaimed(0));
        vm.expectRevert(abi.encodeWithSelector(Vault.DepositAlreadyReclaimed.selector, 0));
        vault.reclaimDeposit(0, alice, address(token), 100e6, 100, T0);
    }

    function testFuzz_reclaimDeposit_revertsOnForgedDeposit(address who, uint256 amount) public {
        vm.assume(who != alice || amount != 100e6);
        _deposit(alice, 100e6);
        _deposit(bob, 1_000e6);
        _freezeOnDeposit(alice, 100e6);
        vm.expectRevert(abi.encodeWithSelector(Vault.UnknownDeposit.selector, 0));
        vault.reclaimDeposit(0, who, address(token), amount, 100, T0);
    }

    function test_reclaimDeposit_revertsForProvenDeposit() public {
        _deposit(alice, 100e6);
        _settleAll(keccak256("root"), bytes32(0));
        _deposit(bob, 10e6);
        vm.warp(T0 + ESCAPE_DEADLINE + 1);
        rollup.freeze(3, address(vault), 100, T0, keccak256(abi.encodePacked(bob, address(token), uint256(10e6))));
        vm.expectRevert(abi.encodeWithSelector(Vault.DepositWasProven.selector, 0));
        vault.reclaimDeposit(0, alice, address(token), 100e6, 100, T0);
    }

    function testFuzz_reclaimDeposit_revertsWhileNotFrozen(uint256 index) public {
        _deposit(alice, 100e6);
        vm.expectRevert(Vault.NotFrozen.selector);
        vault.reclaimDeposit(index, alice, address(token), 100e6, 100, T0);
    }
}
