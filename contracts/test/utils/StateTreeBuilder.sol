// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {StateTree} from "../../StateTree.sol";

/// @title StateTreeBuilder
/// @notice TEST ONLY: the compact sparse Merkle tree of `StateTree` built in memory over a few
///         records, the way `smt::build` and `smt::branch` build it in
///         `guest-programs/core/src/smt.rs`: records sorted by path, split by the bit at each
///         depth (0 left, 1 right), a lone leaf is itself and an empty subtree is zero.
/// @dev Quadratic in the number of records: meant for trees of tens of leaves.
library StateTreeBuilder {
    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                       CUSTOM ERRORS                        */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @dev `paths` and `leaves` differ in length.
    error LengthMismatch(uint256 paths, uint256 leaves);
    /// @dev Two records share a path.
    error DuplicatePath(bytes32 path);
    /// @dev No record sits at the path whose branch was asked for.
    error PathNotInTree(bytes32 path);

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                          RECORDS                           */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice The path and leaf of the record `key` holding `value`: `keccak(key)` and
    ///         `keccak(path ‖ value ‖ 0x01)`, written plainly (not through `StateTree.leafHash`,
    ///         which the tests check against it).
    function record(bytes memory key, bytes memory value) internal pure returns (bytes32 path, bytes32 leaf) {
        path = keccak256(key);
        leaf = keccak256(abi.encodePacked(path, value, bytes1(0x01)));
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                            TREE                            */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice The root over the leaves `leaves[i]` at `paths[i]` (any order, paths unique).
    function root(bytes32[] memory paths, bytes32[] memory leaves) internal pure returns (bytes32) {
        (bytes32[] memory p, bytes32[] memory l) = _sorted(paths, leaves);
        return _subtree(p, l, 0, 0, p.length);
    }

    /// @notice The branch of the leaf at `path`, siblings from the leaf's depth up to depth 1:
    ///         what `Vault.escape` takes. Reverts with `PathNotInTree` if no record is there.
    function branch(bytes32[] memory paths, bytes32[] memory leaves, bytes32 path)
        internal
        pure
        returns (bytes32[] memory siblings)
    {
        (bytes32[] memory p, bytes32[] memory l) = _sorted(paths, leaves);
        bytes32[] memory topDown = new bytes32[](StateTree.MAX_DEPTH);
        uint256 lo;
        uint256 hi = p.length;
        uint256 depth;
        while (hi - lo > 1) {
            uint256 split = _split(p, depth, lo, hi);
            if (bit(path, depth)) {
                topDown[depth] = _subtree(p, l, depth + 1, lo, split);
                lo = split;
            } else {
                topDown[depth] = _subtree(p, l, depth + 1, split, hi);
                hi = split;
            }
            ++depth;
        }
        if (hi - lo != 1 || p[lo] != path) revert PathNotInTree(path);
        siblings = new bytes32[](depth);
        for (uint256 i; i < depth; ++i) {
            siblings[i] = topDown[depth - 1 - i];
        }
    }

    /// @notice Reference walk of `StateTree.rootFromBranch` over a memory branch, written plainly
    ///         (no assembly, no length limit) to test the library against.
    function rootFromBranch(bytes32 path, bytes32 leaf, bytes32[] memory siblings) internal pure returns (bytes32) {
        bytes32 node = leaf;
        uint256 depth = siblings.length;
        for (uint256 i; i < depth; ++i) {
            node = bit(path, depth - 1 - i)
                ? keccak256(abi.encodePacked(siblings[i], node))
                : keccak256(abi.encodePacked(node, siblings[i]));
        }
        return node;
    }

    /// @notice Bit `depth` of `path`, most significant first: true goes right.
    function bit(bytes32 path, uint256 depth) internal pure returns (bool) {
        return (uint256(path) >> (255 - depth)) & 1 == 1;
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                      PRIVATE HELPERS                       */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @dev The subtree at `depth` over the sorted records `[lo, hi)` (all sharing `depth` bits).
    function _subtree(bytes32[] memory p, bytes32[] memory l, uint256 depth, uint256 lo, uint256 hi)
        private
        pure
        returns (bytes32)
    {
        if (hi == lo) return bytes32(0);
        if (hi - lo == 1) return l[lo];
        uint256 split = _split(p, depth, lo, hi);
        return keccak256(abi.encodePacked(_subtree(p, l, depth + 1, lo, split), _subtree(p, l, depth + 1, split, hi)));
    }

    /// @dev The first index in `[lo, hi)` whose path has bit `depth` set (`hi` if none).
    function _split(bytes32[] memory p, uint256 depth, uint256 lo, uint256 hi) private pure returns (uint256 split) {
        split = lo;
        while (split < hi && !bit(p[split], depth)) ++split;
    }

    /// @dev Copies of `paths` and `leaves` sorted by path (insertion sort); reverts on a shared path.
    function _sorted(bytes32[] memory paths, bytes32[] memory leaves)
        private
        pure
        returns (bytes32[] memory p, bytes32[] memory l)
    {
        if (paths.length != leaves.length) revert LengthMismatch(paths.length, leaves.length);
        p = new bytes32[](paths.length);
        l = new bytes32[](leaves.length);
        for (uint256 i; i < paths.length; ++i) {
            uint256 j = i;
            for (; j > 0 && p[j - 1] > paths[i]; --j) {
                p[j] = p[j - 1];
                l[j] = l[j - 1];
            }
            if (j > 0 && p[j - 1] == paths[i]) revert DuplicatePath(paths[i]);
            p[j] = paths[i];
            l[j] = leaves[i];
        }
    }
}
