// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Inbox} from "./Inbox.sol";

/// @title Vault
/// @notice ERC-20 custody for the exchange. A deposit moves tokens here and appends a DEPOSIT
///         entry to the Inbox crediting what actually arrived.
/// @dev Created by its Inbox. Withdrawals come with the withdrawals root (not in v1).
contract Vault is ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                       CUSTOM ERRORS                        */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @dev A deposit asked for, or delivered, zero tokens.
    error ZeroDeposit();

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                          STORAGE                           */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice The Inbox that records this Vault's deposits.
    Inbox public immutable inbox;

    /// @param inbox_ The Inbox creating this Vault.
    constructor(Inbox inbox_) {
        inbox = inbox_;
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                         OPERATIONS                         */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice Takes `amount` of `token` from the caller (after an ERC-20 approval) and credits the
    ///         caller on L2 with the amount received, so fee-on-transfer tokens credit what arrived.
    /// @dev Non-reentrant: a token calling back into `deposit` would otherwise be counted twice
    ///      by the balance difference.
    /// @param token The ERC-20 to deposit.
    /// @param amount The amount to transfer; must be non-zero.
    /// @return received The amount credited.
    function deposit(address token, uint256 amount) external nonReentrant returns (uint256 received) {
        if (amount == 0) revert ZeroDeposit();
        uint256 balanceBefore = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        received = IERC20(token).balanceOf(address(this)) - balanceBefore;
        if (received == 0) revert ZeroDeposit();
        inbox.enqueueDeposit(msg.sender, token, received);
    }
}
