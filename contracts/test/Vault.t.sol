// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {IERC20Errors} from "@openzeppelin/contracts/interfaces/draft-IERC6093.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Inbox} from "../Inbox.sol";
import {Vault} from "../Vault.sol";
import {DevToken} from "../DevToken.sol";
import {FeeOnTransferToken} from "./mocks/FeeOnTransferToken.sol";
import {ReentrantToken} from "./mocks/ReentrantToken.sol";

contract VaultTest is Test {
    Inbox internal inbox;
    Vault internal vault;
    DevToken internal token;
    address internal trader = makeAddr("trader");

    function setUp() public {
        inbox = new Inbox(0, 0, address(this));
        vault = inbox.vault();
        token = new DevToken("Dev USD", "DUSD", 6);
    }

    function _fund(address who, uint256 amount) internal {
        token.mint(who, amount);
        vm.prank(who);
        token.approve(address(vault), amount);
    }

    function _depositAcc(address who, address tokenAddress, uint256 amount) internal view returns (bytes32) {
        bytes32 entryHash = keccak256(
            abi.encodePacked(
                uint8(3),
                address(vault),
                uint64(block.number),
                uint64(block.timestamp),
                keccak256(abi.encodePacked(who, tokenAddress, amount))
            )
        );
        return keccak256(abi.encodePacked(bytes32(0), entryHash));
    }

    function test_deposit_custodiesAndEnqueues() public {
        _fund(trader, 1_000e6);
        bytes memory payload = abi.encodePacked(trader, address(token), uint256(1_000e6));
        vm.expectEmit(address(inbox));
        emit Inbox.EntryAppended(
            0,
            3,
            address(vault),
            uint64(block.number),
            uint64(block.timestamp),
            payload,
            _depositAcc(trader, address(token), 1_000e6)
        );
        vm.prank(trader);
        assertEq(vault.deposit(address(token), 1_000e6), 1_000e6);
        assertEq(token.balanceOf(address(vault)), 1_000e6);
        assertEq(token.balanceOf(trader), 0);
        assertEq(inbox.count(), 1);
    }

    function testFuzz_deposit_custodiesAndEnqueues(address who, uint256 amount) public {
        vm.assume(who != address(0) && who != address(vault));
        amount = bound(amount, 1, type(uint128).max);
        _fund(who, amount);
        vm.prank(who);
        vault.deposit(address(token), amount);
        assertEq(token.balanceOf(address(vault)), amount);
        assertEq(inbox.accAt(0), _depositAcc(who, address(token), amount));
    }

    function test_deposit_feeOnTransferCreditsReceived() public {
        FeeOnTransferToken feeToken = new FeeOnTransferToken(100); // 1%
        feeToken.mint(trader, 1_000);
        vm.startPrank(trader);
        feeToken.approve(address(vault), 1_000);
        assertEq(vault.deposit(address(feeToken), 1_000), 990);
        vm.stopPrank();
        assertEq(feeToken.balanceOf(address(vault)), 990);
        assertEq(inbox.accAt(0), _depositAcc(trader, address(feeToken), 990));
    }

    function testFuzz_deposit_feeOnTransferCreditsReceived(uint256 feeBps, uint256 amount) public {
        feeBps = bound(feeBps, 0, 9_999);
        amount = bound(amount, 10_000, type(uint128).max);
        FeeOnTransferToken feeToken = new FeeOnTransferToken(feeBps);
        feeToken.mint(trader, amount);
        vm.startPrank(trader);
        feeToken.approve(address(vault), amount);
        uint256 received = vault.deposit(address(feeToken), amount);
        vm.stopPrank();
        assertEq(received, amount - amount * feeBps / 10_000);
        assertEq(feeToken.balanceOf(address(vault)), received);
        assertEq(inbox.accAt(0), _depositAcc(trader, address(feeToken), received));
    }

    function test_deposit_revertsOnZeroAmount() public {
        vm.prank(trader);
        vm.expectRevert(Vault.ZeroDeposit.selector);
        vault.deposit(address(token), 0);
    }

    function testFuzz_deposit_revertsOnZeroAmount(address who, address anyToken) public {
        vm.prank(who);
        vm.expectRevert(Vault.ZeroDeposit.selector);
        vault.deposit(anyToken, 0);
    }

    function test_deposit_revertsWhenNothingArrives() public {
        FeeOnTransferToken burnAll = new FeeOnTransferToken(10_000); // 100% fee
        burnAll.mint(trader, 1);
        vm.startPrank(trader);
        burnAll.approve(address(vault), 1);
        vm.expectRevert(Vault.ZeroDeposit.selector);
        vault.deposit(address(burnAll), 1);
        vm.stopPrank();
    }

    function testFuzz_deposit_revertsWhenNothingArrives(uint256 amount) public {
        amount = bound(amount, 1, 9_999); // a 1% fee rounds to zero below 100, 100% burns all
        FeeOnTransferToken burnAll = new FeeOnTransferToken(10_000);
        burnAll.mint(trader, amount);
        vm.startPrank(trader);
        burnAll.approve(address(vault), amount);
        vm.expectRevert(Vault.ZeroDeposit.selector);
        vault.deposit(address(burnAll), amount);
        vm.stopPrank();
    }

    function test_deposit_revertsWithoutAllowance() public {
        token.mint(trader, 1);
        vm.prank(trader);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(vault), 0, 1));
        vault.deposit(address(token), 1);
    }

    function testFuzz_deposit_revertsBeyondBalance(uint256 balance, uint256 amount) public {
        balance = bound(balance, 0, type(uint128).max - 1);
        amount = bound(amount, balance + 1, type(uint128).max);
        token.mint(trader, balance);
        vm.startPrank(trader);
        token.approve(address(vault), amount);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, trader, balance, amount));
        vault.deposit(address(token), amount);
        vm.stopPrank();
    }

    function test_deposit_revertsOnReentry() public {
        ReentrantToken reentrant = new ReentrantToken();
        reentrant.mint(trader, 2);
        vm.startPrank(trader);
        reentrant.approve(address(vault), 2);
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        vault.deposit(address(reentrant), 1);
        vm.stopPrank();
    }

    function testFuzz_deposit_revertsOnReentry(uint256 amount) public {
        amount = bound(amount, 1, type(uint128).max);
        ReentrantToken reentrant = new ReentrantToken();
        reentrant.mint(trader, amount);
        vm.startPrank(trader);
        reentrant.approve(address(vault), amount);
        vm.expectRevert(ReentrancyGuardTransient.ReentrancyGuardReentrantCall.selector);
        vault.deposit(address(reentrant), amount);
        vm.stopPrank();
    }

    function testFuzz_deposit_revertsWithoutAllowance(uint256 allowance, uint256 amount) public {
        allowance = bound(allowance, 0, type(uint128).max - 1);
        amount = bound(amount, allowance + 1, type(uint128).max);
        token.mint(trader, amount);
        vm.startPrank(trader);
        token.approve(address(vault), allowance);
        vm.expectRevert(
            abi.encodeWithSelector(IERC20Errors.ERC20InsufficientAllowance.selector, address(vault), allowance, amount)
        );
        vault.deposit(address(token), amount);
        vm.stopPrank();
    }

    function test_deposit_revertsBeyondBalance() public {
        token.mint(trader, 1);
        vm.startPrank(trader);
        token.approve(address(vault), 2);
        vm.expectRevert(abi.encodeWithSelector(IERC20Errors.ERC20InsufficientBalance.selector, trader, 1, 2));
        vault.deposit(address(token), 2);
        vm.stopPrank();
    }
}
