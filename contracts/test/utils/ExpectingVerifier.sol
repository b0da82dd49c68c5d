// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ISP1Verifier} from "../../interfaces/ISP1Verifier.sol";

/// @notice A verifier that accepts exactly one (programVKey, publicValues, proof): it checks that
///         the Rollup hands the verifier interface the SP1 program's vkey and the bytes the SP1
///         guest committed, unchanged.
contract ExpectingVerifier is ISP1Verifier {
    error UnexpectedVerification();

    bytes32 internal immutable vkey;
    bytes32 internal immutable publicValuesHash;
    bytes32 internal immutable proofHash;

    constructor(bytes32 programVKey, bytes memory publicValues, bytes memory proof) {
        vkey = programVKey;
        publicValuesHash = keccak256(publicValues);
        proofHash = keccak256(proof);
    }

    function verifyProof(bytes32 programVKey, bytes calldata publicValues, bytes calldata proofBytes) external view {
        if (programVKey != vkey || keccak256(publicValues) != publicValuesHash || keccak256(proofBytes) != proofHash) {
            revert UnexpectedVerification();
        }
    }
}
