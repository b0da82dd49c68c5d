// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @title StateTree
/// @notice The exchange state root: one compact sparse Merkle tree of keccak over 256-bit paths
///         (docs/PROTOCOL.md section 10, balance leaves section 12; the reference is
///         `guest-programs/core/src/smt.rs`). Every record has a key and a value; it sits at
///         `path = keccak(key)`, read from the most significant bit down, a 1 bit going right.
///         The empty subtree is zero, a leaf is `keccak(path ‖ record ‖ 0x01)` (33 bytes plus
///         the record's own bytes, hashed once) and an internal node is `keccak(left ‖ right)`
///         (64 bytes). Compact: a subtree holding one leaf is that leaf and a subtree holding
///         none is zero, so a leaf sits at the depth where its path first parts from every other
///         path, and the root depends only on the set of records. A branch lists the sibling
///         hashes from the leaf up.
/// @dev No record is 31 bytes long, so no leaf preimage is 64 bytes and a leaf never passes for
///      an internal node, nor one for a leaf; a leaf commits to its whole path: only the
///      record's own leaf, walked up the positions its path names, reaches the root.
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

    /// @notice The leaf of the record at `path` holding `record`: `keccak(path ‖ record ‖ 0x01)`,
    ///         `33 + record.length` bytes.
    /// @dev `record` must not be 31 bytes long (its leaf would be a 64-byte preimage, the length
    ///      of an internal node's); no record of the protocol is.
    function leafHash(bytes32 path, bytes memory record) internal pure returns (bytes32 leaf) {
        assembly ("memory-safe") {
            // Hashed in the free memory without claiming it: path, the record's bytes, 0x01.
            let m := mload(0x40)
            let n := mload(record)
            mstore(m, path)
            mcopy(add(m, 0x20), add(record, 0x20), n)
            mstore8(add(add(m, 0x20), n), 1)
            leaf := keccak256(m, add(n, 0x21))
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

    /// @notice The leaf of `trader`'s balance of `token` holding `available` and `locked`:
    ///         `balanceLeafAt(balancePath(trader, token), available, locked)`.
    function balanceLeaf(address trader, address token, uint128 available, uint128 locked)
        internal
        pure
        returns (bytes32)
    {
        return balanceLeafAt(balancePath(trader, token), available, locked);
    }

    /// @notice The leaf of the balance record at `path` holding `available` and `locked`:
    ///         `keccak(path ‖ available(uint128) ‖ locked(uint128) ‖ 0x01)`, both amounts 16
    ///         bytes big-endian (65 bytes in all), i.e.
    ///         `leafHash(path, abi.encodePacked(available, locked))` in one pass.
    function balanceLeafAt(bytes32 path, uint128 available, uint128 locked) internal pure returns (bytes32 leaf) {
        assembly ("memory-safe") {
            // 65 bytes do not fit the scratch space: use the free memory without claiming it.
            // Shifting `available` up 128 drops its upper bits; shifting `locked` up then down
            // clears its own.
            let m := mload(0x40)
            mstore(m, path)
            mstore(add(m, 0x20), or(shl(128, available), shr(128, shl(128, locked))))
            mstore8(add(m, 0x40), 1)
            leaf := keccak256(m, 0x41)
        }
    }
}
