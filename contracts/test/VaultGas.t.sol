// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {RollupFixture} from "./utils/RollupFixture.sol";
import {StateTreeBuilder} from "./utils/StateTreeBuilder.sol";
import {StateTree} from "../StateTree.sol";
import {DevToken} from "../DevToken.sol";

/// @notice One `Vault.escape` or `Vault.claimWithdrawal` per test, at the branch depths of
///         realistic trees, for docs/GAS.md (`forge test --gas-report --mt <test>`). The
///         siblings are made up (non-zero, as in a dense tree) and the proven root is computed
///         from them, so every call is a valid, paying one.
contract VaultGasTest is RollupFixture {
    DevToken internal token;
    address internal trader = makeAddr("trader");

    function setUp() public {
        vm.warp(1_700_000_000);
        _deployStack();
        token = new DevToken("Dev USD", "DUSD", 6);
        token.mint(address(vault), 1e24);
    }

    function _siblings(uint256 depth) internal pure returns (bytes32[] memory siblings) {
        siblings = new bytes32[](depth);
        for (uint256 i; i < depth; ++i) {
            siblings[i] = keccak256(abi.encode("sibling", i));
        }
    }

    /// @dev Proves a state whose root holds the trader's balance under `depth` made-up siblings,
    ///      freezes, and escapes once.
    function _escapeAtDepth(uint256 depth) internal {
        bytes32[] memory siblings = _siblings(depth);
        bytes32 leaf = vault.balanceLeaf(trader, address(token), 7e15, 2e15);
        bytes32 path = StateTree.balancePath(trader, address(token));
        _append(1);
        _settleAll(StateTreeBuilder.rootFromBranch(path, leaf, siblings), bytes32(0));
        _freezeOnNewEntry();
        vm.prank(trader);
        vault.escape(address(token), 7e15, 2e15, siblings);
        assertEq(token.balanceOf(trader), 9e15);
    }

    /// @dev Proves a batch whose sorted-pair withdrawals root holds the trader's withdrawal under
    ///      `depth` made-up siblings, and claims it once.
    function _claimAtDepth(uint256 depth) internal {
        bytes32[] memory siblings = _siblings(depth);
        bytes32 node = vault.withdrawalLeaf(trader, address(token), 5e15, 0);
        for (uint256 i; i < depth; ++i) {
            node = _node(node, siblings[i]);
        }
        _append(1);
        _settleAll(keccak256("state"), node);
        vault.claimWithdrawal(0, trader, address(token), 5e15, 0, siblings);
        assertEq(token.balanceOf(trader), 5e15);
    }

    /// @dev The deepest branch of tests/vectors/state_tree.json (21 records).
    function test_escapeGas_depth10LikeTheVectorTree() public {
        _escapeAtDepth(10);
    }

    /// @dev About the average leaf depth of a compact tree of 10^6 records (log2 10^6 ≈ 20).
    function test_escapeGas_depth20LikeAMillionRecords() public {
        _escapeAtDepth(20);
    }

    /// @dev About the average leaf depth of a compact tree of 10^9 records.
    function test_escapeGas_depth30LikeABillionRecords() public {
        _escapeAtDepth(30);
    }

    /// @dev A batch of two withdrawals.
    function test_claimWithdrawalGas_depth1TwoInTheBatch() public {
        _claimAtDepth(1);
    }

    /// @dev A batch of 513 to 1,024 withdrawals.
    function test_claimWithdrawalGas_depth10ThousandInTheBatch() public {
        _claimAtDepth(10);
    }
}
