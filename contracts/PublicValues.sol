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
    bytes32 blobsHash;
}

/// @notice What the SP1 aggregation program commits for consecutive proven ranges
///         (docs/PROTOCOL.md section 14): their span, the range program their proofs were
///         verified against (`rangeVKey`, SP1's `bytes32()` form) and `rangesHash`, the keccak of
///         the ranges' encoded headers in order.
struct AggregateHeader {
    bytes32 rangeVKey;
    bytes32 prevStateRoot;
    bytes32 newStateRoot;
    uint64 inboxStart;
    uint64 inboxEnd;
    bytes32 inboxStartAcc;
    bytes32 inboxEndAcc;
    uint64 rangeCount;
    bytes32 rangesHash;
}

/// @notice The opening of one blob of a proven range at its challenge point (docs/PROTOCOL.md
///         section 13): `y = p(z)` for the blob committed to by `commitment`, whose versioned hash
///         is `versionedHash`, shown by the 48-byte KZG `proof`.
struct BlobOpening {
    bytes32 versionedHash;
    bytes32 z;
    bytes32 y;
    bytes commitment;
    bytes proof;
}

/// @title PublicValues
/// @notice The byte encoding of a `BatchHeader` that the zkVM guest commits and the Rollup
///         verifies against, and the blob-equivalence digest it contains.
library PublicValues {
    /// @dev Length of the encoding: 8 static words.
    uint256 internal constant ENCODED_LENGTH = 8 * 32;

    /// @notice `abi.encode(prevStateRoot, newStateRoot, inboxStart, inboxEnd, inboxStartAcc,
    ///         inboxEndAcc, withdrawalsRoot, blobsHash)`: 256 bytes, every field in its own word.
    function encode(BatchHeader memory header) internal pure returns (bytes memory) {
        return abi.encode(header);
    }

    /// @dev Length of an aggregate header's encoding: 9 static words.
    uint256 internal constant AGGREGATE_ENCODED_LENGTH = 9 * 32;

    /// @notice `abi.encode(rangeVKey, prevStateRoot, newStateRoot, inboxStart, inboxEnd,
    ///         inboxStartAcc, inboxEndAcc, rangeCount, rangesHash)`: 288 bytes.
    function encodeAggregate(AggregateHeader memory header) internal pure returns (bytes memory) {
        return abi.encode(header);
    }

    /// @notice `keccak(encode(ranges[0]) ‖ … ‖ encode(ranges[n-1]))`. A `BatchHeader` is static,
    ///         so the calldata array's elements are those 256-byte encodings, back to back.
    function rangesHash(BatchHeader[] calldata ranges) internal pure returns (bytes32 digest) {
        assembly ("memory-safe") {
            let length := mul(ranges.length, 256)
            let at := mload(0x40)
            calldatacopy(at, ranges.offset, length)
            digest := keccak256(at, length)
        }
    }

    /// @notice `keccak(‖ over openings (versionedHash ‖ z ‖ y))`, or zero when there is none
    ///         (docs/PROTOCOL.md section 13).
    function blobsHash(BlobOpening[] calldata openings) internal pure returns (bytes32) {
        if (openings.length == 0) return bytes32(0);
        bytes memory packed = new bytes(openings.length * 96);
        for (uint256 k; k < openings.length; ++k) {
            BlobOpening calldata opening = openings[k];
            bytes32 versionedHash = opening.versionedHash;
            bytes32 z = opening.z;
            bytes32 y = opening.y;
            assembly ("memory-safe") {
                let at := add(add(packed, 32), mul(k, 96))
                mstore(at, versionedHash)
                mstore(add(at, 32), z)
                mstore(add(at, 64), y)
            }
        }
        return keccak256(packed);
    }
}
