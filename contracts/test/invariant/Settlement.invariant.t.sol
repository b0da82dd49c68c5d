// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {Inbox} from "../../Inbox.sol";
import {Vault} from "../../Vault.sol";
import {Rollup} from "../../Rollup.sol";
import {SettlementHandler} from "./SettlementHandler.sol";

/// @notice Invariants of the L1 settlement under random deposits, withdrawals, proven and forged
///         batches, claims, a freeze and escapes.
contract SettlementInvariantTest is Test {
    SettlementHandler internal handler;
    Inbox internal inbox;
    Vault internal vault;
    Rollup internal rollup;

    function setUp() public {
        handler = new SettlementHandler();
        (inbox, vault, rollup) = handler.stack();
        targetContract(address(handler));
        bytes4[] memory actions = new bytes4[](6);
        actions[0] = SettlementHandler.deposit.selector;
        actions[1] = SettlementHandler.requestWithdrawal.selector;
        actions[2] = SettlementHandler.settle.selector;
        actions[3] = SettlementHandler.settleForged.selector;
        actions[4] = SettlementHandler.claim.selector;
        actions[5] = SettlementHandler.freezeAndEscape.selector;
        targetSelector(FuzzSelector({addr: address(handler), selectors: actions}));
    }

    /// @dev Vault solvency: the tokens held cover everything anyone can still claim.
    function invariant_vaultHoldsEverythingClaimable() public view {
        assertGe(handler.token().balanceOf(address(vault)), handler.claimable());
    }

    /// @dev Nothing leaves the Vault except through claims and escapes the ledger allows.
    function invariant_paidOutEqualsClaimsAndEscapes() public view {
        assertEq(
            handler.token().totalSupply() - handler.token().balanceOf(address(vault)),
            handler.ghostClaimedTotal() + handler.ghostEscapedTotal()
        );
    }

    /// @dev The root advances only with a valid proof: forged batches never land, and the root is
    ///      always the last one the handler proved.
    function invariant_rootAdvancesOnlyWithValidProof() public view {
        assertEq(handler.ghostForgedBatchesAccepted(), 0);
        assertEq(rollup.stateRoot(), handler.ghostStateRoot());
        assertEq(rollup.nextInboxIndex(), handler.provenEntries());
    }

    /// @dev No withdrawal leaf is paid twice.
    function invariant_noWithdrawalClaimedTwice() public view {
        assertEq(handler.ghostDoubleClaims(), 0);
    }

    /// @dev The Inbox's accumulator is the chain of the recorded entries.
    function invariant_accumulatorsConsistent() public view {
        (bytes32 acc, uint256 count) = handler.ghostAcc();
        assertEq(inbox.count(), count);
        if (count > 0) assertEq(inbox.accAt(count - 1), acc);
        uint256 next = rollup.nextInboxIndex();
        assertEq(inbox.accBefore(next), next == 0 ? bytes32(0) : inbox.accAt(next - 1));
    }
}
