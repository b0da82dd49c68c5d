// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISP1Verifier} from "./interfaces/ISP1Verifier.sol";
import {IZiskVerifier} from "./interfaces/IZiskVerifier.sol";

/// @title ZiskVerifierAdapter
/// @notice Presents ZisK's on-chain verifier behind the `verifyProof(bytes32, bytes, bytes)` ABI
///         the Rollup calls for every backend. The 32-byte program key is ZisK's four 64-bit
///         limbs, big-endian (limb 0 in the key's first 8 bytes); `rootCVadcopFinal` is fixed
///         per ZisK release at deployment. The adapter accepts nothing by itself: it only
///         forwards, and reverts whenever ZisK's verifier reverts.
contract ZiskVerifierAdapter is ISP1Verifier {
    /// @notice ZisK's verifier.
    IZiskVerifier public immutable ziskVerifier;
    /// @dev `rootCVadcopFinal`'s four limbs.
    uint64 private immutable _root0;
    uint64 private immutable _root1;
    uint64 private immutable _root2;
    uint64 private immutable _root3;

    /// @param ziskVerifier_ ZisK's deployed verifier.
    /// @param rootCVadcopFinal The aggregation root of the ZisK release that verifier belongs to.
    constructor(IZiskVerifier ziskVerifier_, uint64[4] memory rootCVadcopFinal) {
        ziskVerifier = ziskVerifier_;
        (_root0, _root1, _root2, _root3) =
        (rootCVadcopFinal[0], rootCVadcopFinal[1], rootCVadcopFinal[2], rootCVadcopFinal[3]);
    }

    /// @notice Verifies a ZisK proof that program `programVKey` committed `publicValues`.
    /// @dev Reverts if ZisK's verifier reverts.
    /// @param programVKey The program key: four big-endian 64-bit limbs.
    /// @param publicValues The public values the program committed.
    /// @param proofBytes ZisK's proof, passed through unchanged.
    function verifyProof(bytes32 programVKey, bytes calldata publicValues, bytes calldata proofBytes) external view {
        ziskVerifier.verifySnarkProof(programVKeyLimbs(programVKey), rootCVadcopFinal(), publicValues, proofBytes);
    }

    /// @notice `programVKey` split into ZisK's four 64-bit limbs, big-endian.
    function programVKeyLimbs(bytes32 programVKey) public pure returns (uint64[4] memory limbs) {
        uint256 key = uint256(programVKey);
        // Truncation is the point: each limb keeps its own 64 bits.
        // forge-lint: disable-next-line(unsafe-typecast)
        limbs = [uint64(key >> 192), uint64(key >> 128), uint64(key >> 64), uint64(key)];
    }

    /// @notice The aggregation root passed with every proof.
    function rootCVadcopFinal() public view returns (uint64[4] memory) {
        return [_root0, _root1, _root2, _root3];
    }
}
