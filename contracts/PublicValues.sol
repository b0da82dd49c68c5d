// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

/// @notice A proven range of inbox entries: the public values the guest commits
///         (docs/PROTOCOL.md section 8). `inboxEnd` is exclusive.
struct BatchHeader {
    bytes32 prevStateRoot;
    bytes32 newStateRoot;
    uint64 inboxStart;
    uint64 inboxEnd;
    bytes32 inboxStartAcc;
    bytes32 inboxEndAcc;
    bytes32 withdrawalsRoot;
}

/// @title PublicValues
/// @notice The byte encoding of a `BatchHeader` that the zkVM guest commits and the Rollup
///         verifies against.
library PublicValues {
    /// @dev Length of the encoding: 7 static words.
    uint256 internal constant ENCODED_LENGTH = 7 * 32;

    /// @notice `abi.encode(prevStateRoot, newStateRoot, inboxStart, inboxEnd, inboxStartAcc,
    ///         inboxEndAcc, withdrawalsRoot)`: 224 bytes, every field in its own 32-byte word.
    function encode(BatchHeader memory header) internal pure returns (bytes memory) {
        return abi.encode(header);
    }
}
