// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {RollupFixture} from "./utils/RollupFixture.sol";
import {Vault} from "../Vault.sol";
import {Rollup} from "../Rollup.sol";
import {Inbox} from "../Inbox.sol";
import {MockVerifier} from "../MockVerifier.sol";
import {DevToken} from "../DevToken.sol";
import {NoReturnToken} from "./mocks/NoReturnToken.sol";

/// @notice The Vault's withdrawal claims, its binding to the Rollup and USDT-like tokens.
contract VaultSettlementTest is RollupFixture {
    event WithdrawalClaimed(
        uint256 indexed batchNumber, address indexed trader, address indexed token, uint256 amount, uint64 inboxIndex
    );

    DevToken internal token;
    address internal trader = makeAddr("trader");

    function setUp() public {
        _deployStack();
        token = new DevToken("Dev USD", "DUSD", 6);
    }

    function _deposit(address who, uint256 amount) internal {
        token.mint(who, amount);
        vm.startPrank(who);
        token.approve(address(vault), amount);
        vault.deposit(address(token), amount);
        vm.stopPrank();
    }

    /// @dev Proves one batch whose withdrawals root holds `leaves`.
    function _proveWithdrawals(bytes32[] memory leaves) internal returns (uint256 batchNumber) {
        batchNumber = rollup.batchCount();
        _settleAll(keccak256(abi.encode("root", batchNumber)), _merkleRoot(leaves));
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                       bindRollup                           */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function test_bindRollup_onlyOnceByDeployer() public {
        assertEq(address(vault.rollup()), address(rollup));
        assertEq(vault.deployer(), address(this));
        vm.expectRevert(Vault.RollupAlreadyBound.selector);
        vault.bindRollup(rollup);
    }

    function testFuzz_bindRollup_revertsForOthers(address caller) public {
        vm.assume(caller != address(this));
        Inbox fresh = new Inbox(0, 0, address(this));
        Rollup other = new Rollup(fresh, verifier, VKEY, GENESIS, owner, UPGRADE_DELAY, ESCAPE_DEADLINE);
        Vault freshVault = fresh.vault();
        vm.prank(caller);
        vm.expectRevert(Vault.OnlyDeployer.selector);
        freshVault.bindRollup(other);
    }

    function test_bindRollup_revertsForRollupOfOtherInbox() public {
        Inbox fresh = new Inbox(0, 0, address(this));
        Vault freshVault = fresh.vault();
        vm.expectRevert(Vault.RollupOfOtherInbox.selector);
        freshVault.bindRollup(rollup);
    }

    function testFuzz_claimWithdrawal_revertsWhenUnbound(uint256 amount) public {
        Vault unbound = new Inbox(0, 0, address(this)).vault();
        vm.expectRevert(Vault.RollupNotBound.selector);
        unbound.claimWithdrawal(0, trader, address(token), amount, 0, new bytes32[](0));
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                     claimWithdrawal                        */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function test_claimWithdrawal_paysProvenLeafOnce() public {
        _deposit(trader, 1_000e6);
        vm.prank(trader);
        inbox.requestWithdrawal(address(token), 400e6);
        bytes32[] memory leaves = new bytes32[](3);
        leaves[0] = vault.withdrawalLeaf(trader, address(token), 400e6, 1);
        leaves[1] = keccak256("other-1");
        leaves[2] = keccak256("other-2");
        uint256 batch = _proveWithdrawals(leaves);

        vm.expectEmit(address(vault));
        emit WithdrawalClaimed(batch, trader, address(token), 400e6, 1);
        vault.claimWithdrawal(batch, trader, address(token), 400e6, 1, _merkleProof(leaves, 0));
        assertEq(token.balanceOf(trader), 400e6);
        assertEq(token.balanceOf(address(vault)), 600e6);
        assertTrue(vault.withdrawalClaimed(leaves[0]));

        vm.expectRevert(abi.encodeWithSelector(Vault.WithdrawalAlreadyClaimed.selector, leaves[0]));
        vault.claimWithdrawal(batch, trader, address(token), 400e6, 1, _merkleProof(leaves, 0));
    }

    function testFuzz_claimWithdrawal_paysEveryLeafOfATree(uint8 n, uint256 seed) public {
        n = uint8(bound(n, 1, 9));
        bytes32[] memory leaves = new bytes32[](n);
        address[] memory traders = new address[](n);
        uint256[] memory amounts = new uint256[](n);
        for (uint256 i; i < n; ++i) {
            traders[i] = address(uint160(uint256(keccak256(abi.encode(seed, i)))));
            amounts[i] = bound(uint256(keccak256(abi.encode(seed, i, 1))), 1, 1e30);
            leaves[i] = vault.withdrawalLeaf(traders[i], address(token), amounts[i], uint64(i));
            _deposit(makeAddr("depositor"), amounts[i]);
        }
        uint256 batch = _proveWithdrawals(leaves);
        for (uint256 i; i < n; ++i) {
            vault.claimWithdrawal(batch, traders[i], address(token), amounts[i], uint64(i), _merkleProof(leaves, i));
            vm.expectRevert(abi.encodeWithSelector(Vault.WithdrawalAlreadyClaimed.selector, leaves[i]));
            vault.claimWithdrawal(batch, traders[i], address(token), amounts[i], uint64(i), _merkleProof(leaves, i));
        }
        assertEq(token.balanceOf(address(vault)), 0);
    }

    function test_claimWithdrawal_revertsOnWrongAmount() public {
        _deposit(trader, 1_000e6);
        bytes32[] memory leaves = new bytes32[](1);
        leaves[0] = vault.withdrawalLeaf(trader, address(token), 400e6, 1);
        uint256 batch = _proveWithdrawals(leaves);
        vm.expectRevert(Vault.InvalidWithdrawalProof.selector);
        vault.claimWithdrawal(batch, trader, address(token), 1_000e6, 1, new bytes32[](0));
    }

    function testFuzz_claimWithdrawal_revertsOnForgedLeaf(address who, uint256 amount, uint64 index, uint256 batch)
        public
    {
        _deposit(trader, 1_000e6);
        bytes32[] memory leaves = new bytes32[](2);
        leaves[0] = vault.withdrawalLeaf(trader, address(token), 400e6, 1);
        leaves[1] = keccak256("other");
        _proveWithdrawals(leaves);
        vm.assume(vault.withdrawalLeaf(who, address(token), amount, index) != leaves[0]);
        bytes32[] memory proof = _merkleProof(leaves, 0);
        vm.expectRevert(Vault.InvalidWithdrawalProof.selector);
        vault.claimWithdrawal(batch, who, address(token), amount, index, proof);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                 NON-STANDARD TOKENS                        */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function test_noReturnToken_depositsAndWithdraws() public {
        NoReturnToken usdt = new NoReturnToken();
        usdt.mint(trader, 500e6);
        vm.startPrank(trader);
        usdt.approve(address(vault), 500e6);
        vault.deposit(address(usdt), 500e6);
        vm.stopPrank();
        assertEq(usdt.balanceOf(address(vault)), 500e6);
        bytes32[] memory leaves = new bytes32[](1);
        leaves[0] = vault.withdrawalLeaf(trader, address(usdt), 200e6, 1);
        uint256 batch = _proveWithdrawals(leaves);
        vault.claimWithdrawal(batch, trader, address(usdt), 200e6, 1, new bytes32[](0));
        assertEq(usdt.balanceOf(trader), 200e6);
    }

    function testFuzz_noReturnToken_revertsWithoutAllowance(uint256 amount) public {
        amount = bound(amount, 1, type(uint128).max);
        NoReturnToken usdt = new NoReturnToken();
        usdt.mint(trader, amount);
        vm.prank(trader);
        vm.expectRevert(bytes("allowance"));
        vault.deposit(address(usdt), amount);
    }

    function test_deposit_revertsAboveU128() public {
        uint256 amount = uint256(type(uint128).max) + 1;
        token.mint(trader, amount);
        vm.startPrank(trader);
        token.approve(address(vault), amount);
        vm.expectRevert(abi.encodeWithSelector(Vault.DepositTooLarge.selector, amount));
        vault.deposit(address(token), amount);
        vm.stopPrank();
    }

    function testFuzz_deposit_revertsAboveU128(uint256 amount) public {
        amount = bound(amount, uint256(type(uint128).max) + 1, type(uint256).max / 2);
        token.mint(trader, amount);
        vm.startPrank(trader);
        token.approve(address(vault), amount);
        vm.expectRevert(abi.encodeWithSelector(Vault.DepositTooLarge.selector, amount));
        vault.deposit(address(token), amount);
        vm.stopPrank();
    }

    function test_deposit_forwardsTheEntryFee() public {
        Inbox paid = new Inbox(0.01 ether, 0, makeAddr("fees"));
        Vault paidVault = paid.vault();
        token.mint(trader, 5e6);
        vm.deal(trader, 1 ether);
        vm.startPrank(trader);
        token.approve(address(paidVault), 5e6);
        vm.expectRevert(abi.encodeWithSelector(Inbox.WrongFee.selector, 0.01 ether, 0));
        paidVault.deposit(address(token), 5e6);
        paidVault.deposit{value: 0.01 ether}(address(token), 5e6);
        vm.stopPrank();
        assertEq(address(paid).balance, 0.01 ether);
    }

    function testFuzz_deposit_forwardsTheEntryFee(uint256 fee) public {
        fee = bound(fee, 0, 1 ether);
        Inbox paid = new Inbox(fee, 0, makeAddr("fees"));
        Vault paidVault = paid.vault();
        token.mint(trader, 5e6);
        vm.deal(trader, 1 ether);
        vm.startPrank(trader);
        token.approve(address(paidVault), 5e6);
        paidVault.deposit{value: fee}(address(token), 5e6);
        vm.stopPrank();
        assertEq(address(paid).balance, fee);
    }
}
