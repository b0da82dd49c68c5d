// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title StateTree
/// @notice The exchange state root: one compact sparse Merkle tree of keccak over 256-bit paths
///         (docs/PROTOCOL.md section 12; the reference is `guest-programs/core/src/smt.rs`).
///         Every record has a key and a value; it sits at `path = keccak(key)`, read from the
///         most significant bit down, a 1 bit going right. The empty subtree is zero, a leaf
///         is `keccak(path ‖ keccak(value) ‖ 0x01)` (65 bytes) and an internal node is
///         `keccak(left ‖ right)` (64 bytes). Compact: a subtree holding one leaf is that leaf
///         and a subtree holding none is zero, so a leaf sits at the depth where its path first
///         parts from every other path, and the root depends only on the set of records. A
///         branch lists the sibling hashes from the leaf up.
/// @dev Leaf preimages are 65 bytes and internal ones 64, so neither passes for the other, and a
///      leaf commits to its whole path: only the record's own leaf, walked up the positions its
///      path names, reaches the root.
library StateTree {
    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                         CONSTANTS                          */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @dev Paths are 256 bits: no leaf is deeper, so no branch is longer.
    uint256 internal constant MAX_DEPTH = 256;
    /// @dev The first key byte of a trader's balance of a token: `0x06 ‖ trader ‖ token`.
    uint8 internal constant BALANCE_KEY = 0x06;

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                       CUSTOM ERRORS                        */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @dev A branch had more siblings than a path has bits.
    error BranchTooLong(uint256 length);

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                           NODES                            */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice The leaf of the record at `path` whose value hashes to `valueHash`:
    ///         `keccak(path ‖ valueHash ‖ 0x01)`.
    function leafHash(bytes32 path, bytes32 valueHash) internal pure returns (bytes32 leaf) {
        assembly ("memory-safe") {
            // 65 bytes do not fit the scratch space: use the free memory without claiming it.
            let m := mload(0x40)
            mstore(m, path)
            mstore(add(m, 0x20), valueHash)
            mstore8(add(m, 0x40), 1)
            leaf := keccak256(m, 0x41)
        }
    }

    /// @notice The root reached from `leaf` at `path` through `siblings`, listed from the leaf's
    ///         own depth (`siblings.length`) up to depth 1.
    /// @dev Reverts with `BranchTooLong` past 256 siblings. Sibling `i` sits at depth
    ///      `d - i` (`d = siblings.length`); the node below it goes right when bit `d - 1 - i` of
    ///      `path` is 1.
    function rootFromBranch(bytes32 path, bytes32 leaf, bytes32[] calldata siblings)
        internal
        pure
        returns (bytes32 root)
    {
        uint256 depth = siblings.length;
        if (depth > MAX_DEPTH) revert BranchTooLong(depth);
        assembly ("memory-safe") {
            root := leaf
            // Bit `level` of `path` (MSB first) is `(path >> (255 - level)) & 1`; the level of
            // sibling `i` is `depth - 1 - i`, so the shift starts at `256 - depth` and grows by 1.
            let shift := sub(256, depth)
            let at := siblings.offset
            for { let end := add(at, shl(5, depth)) } lt(at, end) { at := add(at, 0x20) } {
                let right := and(shr(shift, path), 1)
                // Right: keccak(sibling ‖ node); left: keccak(node ‖ sibling). Scratch space.
                mstore(shl(5, right), root)
                mstore(shl(5, xor(right, 1)), calldataload(at))
                root := keccak256(0x00, 0x40)
                shift := add(shift, 1)
            }
        }
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                          BALANCES                          */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice The path of `trader`'s balance of `token`: `keccak(0x06 ‖ trader ‖ token)` (41 bytes).
    function balancePath(address trader, address token) internal pure returns (bytes32 path) {
        assembly ("memory-safe") {
            // Scratch space, bytes 0x0c..0x35: 0x06 at 0x0c, trader at 0x0d..0x21, token at
            // 0x21..0x35. Token first, so trader's word overwrites the token word's upper bytes;
            // the 0x06 byte then overwrites the lowest of trader's upper bytes. Whatever the
            // upper bits of either address, none of them lands in the hashed bytes.
            mstore(0x15, token)
            mstore(0x01, trader)
            mstore8(0x0c, BALANCE_KEY)
            path := keccak256(0x0c, 0x29)
        }
    }

    /// @notice The value hash of a balance: `keccak(available(uint128) ‖ locked(uint128))`, both
    ///         16 bytes big-endian.
    function balanceValueHash(uint128 available, uint128 locked) internal pure returns (bytes32 valueHash) {
        assembly ("memory-safe") {
            mstore(0x00, or(shl(128, available), shr(128, shl(128, locked))))
            valueHash := keccak256(0x00, 0x20)
        }
    }

    /// @notice The leaf of `trader`'s balance of `token` holding `available` and `locked`.
    function balanceLeaf(address trader, address token, uint128 available, uint128 locked)
        internal
        pure
        returns (bytes32)
    {
        return leafHash(balancePath(trader, token), balanceValueHash(available, locked));
    }
}
