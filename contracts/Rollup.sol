// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Inbox} from "./Inbox.sol";
import {ISP1Verifier} from "./interfaces/ISP1Verifier.sol";
import {BatchHeader, PublicValues} from "./PublicValues.sol";

/// @title Rollup
/// @notice Settlement: holds the proven exchange state root and the next unproven inbox index.
///         A batch advances them only with a zkVM proof that the program `programVKey` turned
///         `prevStateRoot` into `newStateRoot` by applying inbox entries `[inboxStart, inboxEnd)`.
contract Rollup {
    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                       CUSTOM ERRORS                        */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @dev The batch does not start from the current state root.
    error PrevStateRootMismatch(bytes32 expected, bytes32 actual);
    /// @dev The batch does not start at the next unproven inbox entry.
    error InboxStartMismatch(uint64 expected, uint64 actual);
    /// @dev The batch covers no entry (`inboxEnd <= inboxStart`).
    error EmptyInboxRange(uint64 inboxStart, uint64 inboxEnd);
    /// @dev The batch ends past the last inbox entry.
    error InboxEndBeyondCount(uint64 inboxEnd, uint256 count);
    /// @dev The batch's start accumulator is not the Inbox's `accBefore(inboxStart)`.
    error InboxStartAccMismatch(bytes32 expected, bytes32 actual);
    /// @dev The batch's end accumulator is not the Inbox's `accAt(inboxEnd - 1)`.
    error InboxEndAccMismatch(bytes32 expected, bytes32 actual);

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                           EVENTS                           */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice Batch `batchNumber` was proven and the state root advanced.
    event BatchVerified(
        uint256 indexed batchNumber,
        bytes32 prevStateRoot,
        bytes32 newStateRoot,
        uint64 inboxStart,
        uint64 inboxEnd,
        bytes32 withdrawalsRoot
    );

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                          STORAGE                           */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice The Inbox whose entries batches prove.
    Inbox public immutable inbox;
    /// @notice The SP1 verifier (the gateway in production, `MockVerifier` on dev chains).
    ISP1Verifier public immutable verifier;
    /// @notice The verification key of the guest program.
    bytes32 public immutable programVKey;

    /// @notice The latest proven state root (the genesis root before the first batch).
    bytes32 public stateRoot;
    /// @notice The first inbox entry not yet covered by a proven batch.
    uint64 public nextInboxIndex;
    /// @notice The number of proven batches; batches are numbered from 0.
    uint256 public batchCount;
    /// @notice The withdrawals root committed by each proven batch, by batch number.
    mapping(uint256 batchNumber => bytes32) public withdrawalsRoot;

    /// @param inbox_ The Inbox whose entries batches prove.
    /// @param verifier_ The SP1 verifier.
    /// @param programVKey_ The verification key of the guest program.
    /// @param genesisStateRoot The state root before any inbox entry.
    constructor(Inbox inbox_, ISP1Verifier verifier_, bytes32 programVKey_, bytes32 genesisStateRoot) {
        inbox = inbox_;
        verifier = verifier_;
        programVKey = programVKey_;
        stateRoot = genesisStateRoot;
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                         OPERATIONS                         */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice Settles a proven batch: checks that `header` continues the proven chain over
    ///         existing inbox entries, verifies `proof` of its public values, then advances.
    /// @dev Permissionless: the proof alone authorizes the transition.
    /// @param header The batch's public values (docs/PROTOCOL.md section 8).
    /// @param proof The SP1 proof of `PublicValues.encode(header)`.
    function submitBatch(BatchHeader calldata header, bytes calldata proof) external {
        if (header.prevStateRoot != stateRoot) revert PrevStateRootMismatch(stateRoot, header.prevStateRoot);
        if (header.inboxStart != nextInboxIndex) revert InboxStartMismatch(nextInboxIndex, header.inboxStart);
        if (header.inboxEnd <= header.inboxStart) revert EmptyInboxRange(header.inboxStart, header.inboxEnd);
        uint256 inboxCount = inbox.count();
        if (header.inboxEnd > inboxCount) revert InboxEndBeyondCount(header.inboxEnd, inboxCount);
        bytes32 startAcc = inbox.accBefore(header.inboxStart);
        if (header.inboxStartAcc != startAcc) revert InboxStartAccMismatch(startAcc, header.inboxStartAcc);
        bytes32 endAcc = inbox.accAt(header.inboxEnd - 1);
        if (header.inboxEndAcc != endAcc) revert InboxEndAccMismatch(endAcc, header.inboxEndAcc);

        verifier.verifyProof(programVKey, PublicValues.encode(header), proof);

        uint256 batchNumber = batchCount++;
        stateRoot = header.newStateRoot;
        nextInboxIndex = header.inboxEnd;
        withdrawalsRoot[batchNumber] = header.withdrawalsRoot;
        emit BatchVerified(
            batchNumber,
            header.prevStateRoot,
            header.newStateRoot,
            header.inboxStart,
            header.inboxEnd,
            header.withdrawalsRoot
        );
    }
}
