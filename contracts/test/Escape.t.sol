// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {RollupFixture} from "./utils/RollupFixture.sol";
import {Vault} from "../Vault.sol";
import {Rollup} from "../Rollup.sol";
import {DevToken} from "../DevToken.sol";
import {StateTree} from "../StateTree.sol";
import {BatchHeader} from "../PublicValues.sol";
import {StateTreeBuilder} from "./utils/StateTreeBuilder.sol";

/// @notice The escape hatch (docs/PROTOCOL.md section 12): freezing on a stale inbox, paying
///         proven balances by a state-tree branch of the balance record, refunding unproven
///         deposits.
contract EscapeTest is RollupFixture {
    event Frozen(uint256 indexed inboxIndex, uint64 l1Timestamp);

    DevToken internal token;
    address internal alice = makeAddr("alice");
    address internal bob = makeAddr("bob");
    uint64 internal constant T0 = 1_700_000_000;

    /// @dev The records of the state the next `_proveState` proves (paths and leaves, any order).
    bytes32[] internal recordPaths;
    bytes32[] internal recordLeaves;

    function setUp() public {
        vm.roll(100);
        vm.warp(T0);
        _deployStack();
        token = new DevToken("Dev USD", "DUSD", 6);
        // Every state has records other than balances (a header among them).
        _addRecord(hex"00", "header");
        _addRecord(hex"0100000001", "market 1");
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

    function _addRecord(bytes memory key, bytes memory value) internal {
        (bytes32 path, bytes32 leaf) = StateTreeBuilder.record(key, value);
        recordPaths.push(path);
        recordLeaves.push(leaf);
    }

    /// @dev Adds `trader`'s balance of `token` to the state.
    function _addBalance(address trader, uint128 available, uint128 locked) internal {
        _addRecord(abi.encodePacked(uint8(0x06), trader, address(token)), abi.encodePacked(available, locked));
    }

    /// @dev Settles every inbox entry with the state root over the records added so far.
    function _proveState() internal {
        _settleAll(StateTreeBuilder.root(recordPaths, recordLeaves), bytes32(0));
    }

    /// @dev The branch of `trader`'s balance of `token` in the state of the records added.
    function _branch(address trader) internal view returns (bytes32[] memory) {
        return StateTreeBuilder.branch(recordPaths, recordLeaves, StateTree.balancePath(trader, address(token)));
    }

    /// @dev Alice deposited 100e6 and the proven state holds her 70e6 available and 10e6 locked
    ///      (Bob holding 20e6 next to her).
    function _provenAliceState() internal {
        _deposit(alice, 100e6);
        _addBalance(alice, 70e6, 10e6);
        _addBalance(bob, 20e6, 0);
        _proveState();
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
        _addBalance(alice, 70e6, 10e6);
        _addBalance(bob, 70e6, 0);
        _proveState();
        _deposit(alice, 5e6); // inbox index 2, never proven
        vm.warp(block.timestamp + ESCAPE_DEADLINE + 1);
        rollup.freeze(3, address(vault), 100, T0, keccak256(abi.encodePacked(alice, address(token), uint256(5e6))));

        bytes32[] memory aliceBranch = _branch(alice);
        vm.expectEmit(address(vault));
        emit Vault.Escaped(alice, address(token), 70e6, 10e6);
        vm.prank(alice);
        vault.escape(address(token), 70e6, 10e6, aliceBranch);
        assertEq(token.balanceOf(alice), 80e6);
        assertTrue(vault.escaped(alice, address(token)));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Vault.AlreadyEscaped.selector, alice, address(token)));
        vault.escape(address(token), 70e6, 10e6, aliceBranch);

        vm.prank(bob);
        vault.escape(address(token), 70e6, 0, _branch(bob));
        assertEq(token.balanceOf(bob), 70e6);
        vault.reclaimDeposit(2, alice, address(token), 5e6, 100, T0);
        assertEq(token.balanceOf(alice), 85e6);
        assertEq(token.balanceOf(address(vault)), 0);
    }

    function testFuzz_escape_paysEveryLeafOnce(uint8 n, uint256 seed) public {
        n = uint8(bound(n, 1, 8));
        address[] memory traders = new address[](n);
        uint128[] memory available = new uint128[](n);
        uint128[] memory locked = new uint128[](n);
        uint256 total;
        for (uint256 i; i < n; ++i) {
            traders[i] = address(uint160(uint256(keccak256(abi.encode(seed, i)))) | 1);
            available[i] = uint128(bound(uint256(keccak256(abi.encode(seed, i, 1))), 0, 1e24));
            locked[i] = uint128(bound(uint256(keccak256(abi.encode(seed, i, 2))), 0, 1e24));
            _addBalance(traders[i], available[i], locked[i]);
            total += uint256(available[i]) + locked[i];
        }
        _deposit(alice, total + 1);
        _proveState();
        _freezeOnNewEntry();
        for (uint256 i; i < n; ++i) {
            vm.prank(traders[i]);
            vault.escape(address(token), available[i], locked[i], _branch(traders[i]));
            assertEq(token.balanceOf(traders[i]), uint256(available[i]) + locked[i]);
        }
        assertEq(token.balanceOf(address(vault)), 1);
    }

    function test_escape_paysTheOnlyRecordWithAnEmptyBranch() public {
        _deposit(alice, 100e6);
        _settleAll(vault.balanceLeaf(alice, address(token), 60e6, 40e6), bytes32(0));
        _freezeOnNewEntry();
        vm.prank(alice);
        vault.escape(address(token), 60e6, 40e6, new bytes32[](0));
        assertEq(token.balanceOf(alice), 100e6);
    }

    function testFuzz_escape_paysTheOnlyRecordWithAnEmptyBranch(uint128 available, uint128 locked) public {
        uint256 amount = uint256(available) + locked;
        token.mint(address(vault), amount);
        _append(1);
        _settleAll(vault.balanceLeaf(alice, address(token), available, locked), bytes32(0));
        _freezeOnNewEntry();
        vm.prank(alice);
        vault.escape(address(token), available, locked, new bytes32[](0));
        assertEq(token.balanceOf(alice), amount);
    }

    function test_escape_revertsWhileNotFrozen() public {
        _provenAliceState();
        vm.prank(alice);
        vm.expectRevert(Vault.NotFrozen.selector);
        vault.escape(address(token), 70e6, 10e6, _branch(alice));
    }

    function testFuzz_escape_revertsWhileNotFrozen(uint128 available, uint128 locked, bytes32[] calldata proof) public {
        _provenAliceState();
        vm.prank(alice);
        vm.expectRevert(Vault.NotFrozen.selector);
        vault.escape(address(token), available, locked, proof);
    }

    function test_escape_revertsWhenAlreadyEscaped() public {
        _provenAliceState();
        _freezeOnNewEntry();
        bytes32[] memory branch = _branch(alice);
        vm.prank(alice);
        vault.escape(address(token), 70e6, 10e6, branch);
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Vault.AlreadyEscaped.selector, alice, address(token)));
        vault.escape(address(token), 70e6, 10e6, branch);
    }

    function testFuzz_escape_revertsWhenAlreadyEscaped(uint128 available, uint128 locked, bytes32[] calldata proof)
        public
    {
        _provenAliceState();
        _freezeOnNewEntry();
        vm.prank(alice);
        vault.escape(address(token), 70e6, 10e6, _branch(alice));
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(Vault.AlreadyEscaped.selector, alice, address(token)));
        vault.escape(address(token), available, locked, proof);
    }

    function test_escape_revertsOnWrongBalance() public {
        _provenAliceState();
        _freezeOnNewEntry();
        bytes32[] memory branch = _branch(alice);
        vm.startPrank(alice);
        vm.expectRevert(Vault.InvalidBalanceProof.selector);
        vault.escape(address(token), 70e6 + 1, 10e6, branch);
        vm.expectRevert(Vault.InvalidBalanceProof.selector);
        vault.escape(address(token), 70e6, 10e6 + 1, branch);
        // The same total split differently is another record value.
        vm.expectRevert(Vault.InvalidBalanceProof.selector);
        vault.escape(address(token), 80e6, 0, branch);
        vm.stopPrank();
    }

    function testFuzz_escape_revertsOnWrongBalance(uint128 available, uint128 locked) public {
        vm.assume(available != 70e6 || locked != 10e6);
        _provenAliceState();
        _freezeOnNewEntry();
        bytes32[] memory branch = _branch(alice);
        vm.prank(alice);
        vm.expectRevert(Vault.InvalidBalanceProof.selector);
        vault.escape(address(token), available, locked, branch);
    }

    function test_escape_revertsForAnotherTradersBranch() public {
        _provenAliceState();
        _freezeOnNewEntry();
        bytes32[] memory branch = _branch(alice);
        vm.prank(bob);
        vm.expectRevert(Vault.InvalidBalanceProof.selector);
        vault.escape(address(token), 70e6, 10e6, branch);
    }

    function testFuzz_escape_revertsForAnotherTradersBranch(address caller) public {
        vm.assume(caller != alice);
        _provenAliceState();
        _freezeOnNewEntry();
        bytes32[] memory branch = _branch(alice);
        vm.prank(caller);
        vm.expectRevert(Vault.InvalidBalanceProof.selector);
        vault.escape(address(token), 70e6, 10e6, branch);
    }

    function test_escape_revertsForAnotherTokensBranch() public {
        DevToken other = new DevToken("Other", "OTH", 18);
        other.mint(address(vault), 70e6 + 10e6);
        _provenAliceState();
        _freezeOnNewEntry();
        // Alice's branch and amounts of `token` do not prove a balance of `other`.
        bytes32[] memory branch = _branch(alice);
        vm.prank(alice);
        vm.expectRevert(Vault.InvalidBalanceProof.selector);
        vault.escape(address(other), 70e6, 10e6, branch);
    }

    function testFuzz_escape_revertsForAnotherTokensBranch(address otherToken) public {
        vm.assume(otherToken != address(token));
        _provenAliceState();
        _freezeOnNewEntry();
        bytes32[] memory branch = _branch(alice);
        vm.prank(alice);
        vm.expectRevert(Vault.InvalidBalanceProof.selector);
        vault.escape(otherToken, 70e6, 10e6, branch);
    }

    function test_escape_revertsOnAFlippedSibling() public {
        _provenAliceState();
        _freezeOnNewEntry();
        bytes32[] memory branch = _branch(alice);
        assertGt(branch.length, 0);
        branch[branch.length - 1] ^= bytes32(uint256(1));
        vm.prank(alice);
        vm.expectRevert(Vault.InvalidBalanceProof.selector);
        vault.escape(address(token), 70e6, 10e6, branch);
    }

    function testFuzz_escape_revertsOnAnyFlippedSiblingBit(uint256 index, uint8 bitIndex) public {
        _provenAliceState();
        _freezeOnNewEntry();
        bytes32[] memory branch = _branch(alice);
        index = bound(index, 0, branch.length - 1);
        branch[index] ^= bytes32(uint256(1) << bitIndex);
        vm.prank(alice);
        vm.expectRevert(Vault.InvalidBalanceProof.selector);
        vault.escape(address(token), 70e6, 10e6, branch);
    }

    function test_escape_revertsOnABranchPaddedWithEmptySiblings() public {
        _provenAliceState();
        _freezeOnNewEntry();
        // Claiming the leaf sits one level deeper, next to an empty subtree, names another node.
        bytes32[] memory branch = _branch(alice);
        bytes32[] memory padded = new bytes32[](branch.length + 1);
        for (uint256 i; i < branch.length; ++i) {
            padded[i + 1] = branch[i];
        }
        vm.prank(alice);
        vm.expectRevert(Vault.InvalidBalanceProof.selector);
        vault.escape(address(token), 70e6, 10e6, padded);
    }

    function testFuzz_escape_revertsOnATruncatedBranch(uint256 keep) public {
        _provenAliceState();
        _freezeOnNewEntry();
        bytes32[] memory branch = _branch(alice);
        keep = bound(keep, 0, branch.length - 1);
        bytes32[] memory truncated = new bytes32[](keep);
        for (uint256 i; i < keep; ++i) {
            truncated[i] = branch[branch.length - keep + i];
        }
        vm.prank(alice);
        vm.expectRevert(Vault.InvalidBalanceProof.selector);
        vault.escape(address(token), 70e6, 10e6, truncated);
    }

    function test_escape_revertsOnABranchLongerThan256() public {
        _provenAliceState();
        _freezeOnNewEntry();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(StateTree.BranchTooLong.selector, 257));
        vault.escape(address(token), 70e6, 10e6, new bytes32[](257));
    }

    function testFuzz_escape_revertsOnABranchLongerThan256(uint256 length) public {
        length = bound(length, 257, 1024);
        _provenAliceState();
        _freezeOnNewEntry();
        vm.prank(alice);
        vm.expectRevert(abi.encodeWithSelector(StateTree.BranchTooLong.selector, length));
        vault.escape(address(token), 70e6, 10e6, new bytes32[](length));
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
