// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {RollupFixture} from "./utils/RollupFixture.sol";
import {Rollup} from "../Rollup.sol";
import {BatchHeader, BlobOpening, PublicValues} from "../PublicValues.sol";

/// @notice Blob equivalence (docs/PROTOCOL.md section 13) with a real KZG opening from
///         tests/vectors/point_evaluation.json (scripts/gen-point-evaluation.py, ckzg), checked by
///         the EVM's point-evaluation precompile.
contract RollupBlobsTest is RollupFixture {
    string internal json;

    function setUp() public {
        _deployStack();
        json = vm.readFile(string.concat(vm.projectRoot(), "/tests/vectors/point_evaluation.json"));
        _append(1);
    }

    function _opening() internal view returns (BlobOpening memory) {
        return BlobOpening({
            versionedHash: vm.parseJsonBytes32(json, ".versioned_hash"),
            z: vm.parseJsonBytes32(json, ".z"),
            y: vm.parseJsonBytes32(json, ".y"),
            commitment: vm.parseJsonBytes(json, ".commitment"),
            proof: vm.parseJsonBytes(json, ".proof")
        });
    }

    function _one(BlobOpening memory opening) internal pure returns (BlobOpening[] memory openings) {
        openings = new BlobOpening[](1);
        openings[0] = opening;
    }

    function _blobsHash(BlobOpening[] memory openings) internal pure returns (bytes32) {
        bytes memory packed;
        for (uint256 k; k < openings.length; ++k) {
            packed = bytes.concat(packed, openings[k].versionedHash, openings[k].z, openings[k].y);
        }
        return openings.length == 0 ? bytes32(0) : keccak256(packed);
    }

    function test_submitBatch_acceptsRealKzgOpening() public {
        BlobOpening[] memory openings = _one(_opening());
        BatchHeader memory header = _header(1, keccak256("root-1"));
        header.blobsHash = vm.parseJsonBytes32(json, ".blobs_hash");
        assertEq(header.blobsHash, _blobsHash(openings));
        rollup.submitBatch(header, openings, "");
        assertEq(rollup.stateRoot(), keccak256("root-1"));
    }

    function testFuzz_submitBatch_acceptsRepeatedRealOpenings(uint8 n) public {
        n = uint8(bound(n, 1, 6));
        BlobOpening[] memory openings = new BlobOpening[](n);
        for (uint256 k; k < n; ++k) {
            openings[k] = _opening();
        }
        BatchHeader memory header = _header(1, keccak256("root-1"));
        header.blobsHash = _blobsHash(openings);
        rollup.submitBatch(header, openings, "");
        assertEq(rollup.nextInboxIndex(), 1);
    }

    function test_submitBatch_revertsOnBlobsHashMismatch() public {
        BlobOpening[] memory openings = _one(_opening());
        BatchHeader memory header = _header(1, keccak256("root-1"));
        vm.expectRevert(abi.encodeWithSelector(Rollup.BlobsHashMismatch.selector, _blobsHash(openings), bytes32(0)));
        rollup.submitBatch(header, openings, "");
    }

    function testFuzz_submitBatch_revertsOnBlobsHashMismatch(bytes32 claimed) public {
        vm.assume(claimed != bytes32(0));
        BatchHeader memory header = _header(1, keccak256("root-1"));
        header.blobsHash = claimed; // a range that commits blobs must open them
        vm.expectRevert(abi.encodeWithSelector(Rollup.BlobsHashMismatch.selector, bytes32(0), claimed));
        rollup.submitBatch(header, _noOpenings(), "");
    }

    function test_submitBatch_revertsOnWrongEvaluation() public {
        BlobOpening memory opening = _opening();
        opening.y = bytes32(uint256(opening.y) ^ 1);
        BlobOpening[] memory openings = _one(opening);
        BatchHeader memory header = _header(1, keccak256("root-1"));
        header.blobsHash = _blobsHash(openings);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BlobOpeningRejected.selector, 0));
        rollup.submitBatch(header, openings, "");
    }

    function testFuzz_submitBatch_revertsOnWrongEvaluation(bytes32 y) public {
        BlobOpening memory opening = _opening();
        vm.assume(y != opening.y);
        opening.y = y;
        BlobOpening[] memory openings = _one(opening);
        BatchHeader memory header = _header(1, keccak256("root-1"));
        header.blobsHash = _blobsHash(openings);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BlobOpeningRejected.selector, 0));
        rollup.submitBatch(header, openings, "");
    }

    function test_submitBatch_revertsOnForeignVersionedHash() public {
        BlobOpening memory opening = _opening();
        opening.versionedHash = keccak256("another blob");
        BlobOpening[] memory openings = _one(opening);
        BatchHeader memory header = _header(1, keccak256("root-1"));
        header.blobsHash = _blobsHash(openings);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BlobOpeningRejected.selector, 0));
        rollup.submitBatch(header, openings, "");
    }

    function testFuzz_submitBatch_revertsOnBadSecondOpening(bytes32 z) public {
        BlobOpening memory bad = _opening();
        vm.assume(z != bad.z);
        bad.z = z;
        BlobOpening[] memory openings = new BlobOpening[](2);
        openings[0] = _opening();
        openings[1] = bad;
        BatchHeader memory header = _header(1, keccak256("root-1"));
        header.blobsHash = _blobsHash(openings);
        vm.expectRevert(abi.encodeWithSelector(Rollup.BlobOpeningRejected.selector, 1));
        rollup.submitBatch(header, openings, "");
    }

    function test_submitBatch_revertsOnMalformedOpening() public {
        BlobOpening memory opening = _opening();
        opening.proof = bytes.concat(opening.proof, hex"00");
        BlobOpening[] memory openings = _one(opening);
        BatchHeader memory header = _header(1, keccak256("root-1"));
        header.blobsHash = _blobsHash(openings);
        vm.expectRevert(abi.encodeWithSelector(Rollup.MalformedBlobOpening.selector, 0));
        rollup.submitBatch(header, openings, "");
    }

    function testFuzz_submitBatch_revertsOnMalformedOpening(bytes memory commitment) public {
        vm.assume(commitment.length != 48);
        BlobOpening memory opening = _opening();
        opening.commitment = commitment;
        BlobOpening[] memory openings = _one(opening);
        BatchHeader memory header = _header(1, keccak256("root-1"));
        header.blobsHash = _blobsHash(openings);
        vm.expectRevert(abi.encodeWithSelector(Rollup.MalformedBlobOpening.selector, 0));
        rollup.submitBatch(header, openings, "");
    }

    function testFuzz_publicValues_blobsHashMatchesConcatenation(bytes32[3] memory seeds, uint8 n) public view {
        n = uint8(bound(n, 0, 3));
        BlobOpening[] memory openings = new BlobOpening[](n);
        for (uint256 k; k < n; ++k) {
            openings[k].versionedHash = seeds[k];
            openings[k].z = keccak256(abi.encode(seeds[k], 1));
            openings[k].y = keccak256(abi.encode(seeds[k], 2));
        }
        assertEq(this.blobsHashOf(openings), _blobsHash(openings));
    }

    /// @dev Calldata entry point for the library under test.
    function blobsHashOf(BlobOpening[] calldata openings) external pure returns (bytes32) {
        return PublicValues.blobsHash(openings);
    }
}
