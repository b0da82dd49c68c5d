// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Ownable} from "@openzeppelin/contracts/access/Ownable.sol";
import {Ownable2Step} from "@openzeppelin/contracts/access/Ownable2Step.sol";
import {Inbox} from "./Inbox.sol";
import {ISP1Verifier} from "./interfaces/ISP1Verifier.sol";
import {AggregateHeader, BatchHeader, BlobOpening, PublicValues} from "./PublicValues.sol";

/// @title Rollup
/// @notice Settlement: holds the proven exchange state root and the next unproven inbox index.
///         A batch advances them only with a zkVM proof, by the batch's backend (SP1 or ZisK),
///         that the backend's program turned `prevStateRoot` into `newStateRoot` by applying
///         inbox entries `[inboxStart, inboxEnd)`, and with a KZG opening of every blob the
///         range read (docs/PROTOCOL.md sections 8 and 13). Several consecutive SP1 ranges may settle
///         with one proof of SP1's aggregation program, which verified their proofs (section 14).
/// @dev Upgrades are limited to each backend's (verifier, program key) pair, changed only by the
///      owner through propose -> wait `upgradeDelay` -> execute. `upgradeDelay` exceeds
///      `escapeDeadline`, so users who distrust a proposed change can force a freeze and escape
///      under the old verifier before it lands (docs/CONTRACTS.md).
contract Rollup is Ownable2Step {
    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                           TYPES                            */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice A proving backend; each has its own verifier and program verification key.
    ///         `SP1_AGGREGATION`'s program verifies SP1 range proofs made with `SP1`'s key.
    enum Backend {
        SP1,
        ZISK,
        SP1_AGGREGATION
    }

    /// @notice The verifier of a backend and the verification key of the guest it accepts.
    struct ProgramVerifier {
        ISP1Verifier verifier;
        bytes32 vkey;
    }

    /// @notice A proposed (verifier, vkey) for a backend and when it may be executed.
    struct PendingChange {
        ISP1Verifier verifier;
        bytes32 vkey;
        uint256 readyAt;
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                         CONSTANTS                          */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice The EIP-4844 point-evaluation precompile.
    address public constant POINT_EVALUATION = address(0x0a);
    /// @notice The precompile's first return word.
    uint256 public constant FIELD_ELEMENTS_PER_BLOB = 4096;
    /// @notice The precompile's second return word: the BLS12-381 scalar field modulus.
    uint256 public constant BLS_MODULUS = 0x73eda753299d7d483339d80809a1d80553bda402fffe5bfeffffffff00000001;
    /// @notice Gas the precompile costs (EIP-4844); a failing precompile burns all gas it is
    ///         given, so each call gets exactly this much.
    uint256 public constant POINT_EVALUATION_GAS = 50_000;

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
    /// @dev The aggregated ranges were proven with another program than the SP1 backend's.
    error RangeVKeyMismatch(bytes32 expected, bytes32 actual);
    /// @dev The ranges given are not as many as the aggregate header counts, or their openings.
    error RangeCountMismatch(uint64 expected, uint256 ranges, uint256 openingLists);
    /// @dev The ranges given are not the ones the aggregation program verified.
    error RangesHashMismatch(bytes32 expected, bytes32 actual);
    /// @dev The openings do not hash to the header's `blobsHash`.
    error BlobsHashMismatch(bytes32 expected, bytes32 actual);
    /// @dev Opening `index` has a commitment or proof that is not 48 bytes.
    error MalformedBlobOpening(uint256 index);
    /// @dev The point-evaluation precompile rejected opening `index`.
    error BlobOpeningRejected(uint256 index);
    /// @dev The backend has no verifier.
    error BackendNotConfigured(Backend backend);
    /// @dev The Rollup is frozen: no batch is accepted any more.
    error RollupFrozen();
    /// @dev `freeze` was given an entry that is not the oldest unproven one.
    error NotOldestUnprovenEntry(uint256 index);
    /// @dev The oldest unproven entry is not older than the escape deadline yet.
    error EscapeDeadlineNotReached(uint256 freezableAt);
    /// @dev There is no unproven inbox entry.
    error NothingUnproven();
    /// @dev The backend has no pending change.
    error NoPendingChange(Backend backend);
    /// @dev The pending change's delay has not passed.
    error ChangeNotReady(uint256 readyAt);
    /// @dev `upgradeDelay` must exceed `escapeDeadline`, and `escapeDeadline` must be non-zero.
    error BadDelays(uint256 upgradeDelay, uint256 escapeDeadline);

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                           EVENTS                           */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice Batch `batchNumber` was proven by `backend` and the state root advanced.
    event BatchVerified(
        uint256 indexed batchNumber,
        Backend indexed backend,
        bytes32 prevStateRoot,
        bytes32 newStateRoot,
        uint64 inboxStart,
        uint64 inboxEnd,
        bytes32 withdrawalsRoot,
        bytes32 blobsHash
    );
    /// @notice The owner proposed a new verifier and key for `backend`, executable at `readyAt`.
    event VerifierChangeProposed(Backend indexed backend, ISP1Verifier verifier, bytes32 vkey, uint256 readyAt);
    /// @notice `backend` now verifies with `verifier` and `vkey`.
    event VerifierChanged(Backend indexed backend, ISP1Verifier verifier, bytes32 vkey);
    /// @notice The owner withdrew the pending change of `backend`.
    event VerifierChangeCancelled(Backend indexed backend);
    /// @notice The Rollup froze because entry `inboxIndex`, appended at `l1Timestamp`, went unproven.
    event Frozen(uint256 indexed inboxIndex, uint64 l1Timestamp);

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                          STORAGE                           */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice The Inbox whose entries batches prove.
    Inbox public immutable inbox;
    /// @notice Seconds between proposing and executing a verifier change.
    uint256 public immutable upgradeDelay;
    /// @notice Seconds an inbox entry may stay unproven before anyone may freeze the Rollup.
    uint256 public immutable escapeDeadline;

    /// @notice The latest proven state root (the genesis root before the first batch).
    bytes32 public stateRoot;
    /// @notice The first inbox entry not yet covered by a proven batch.
    uint64 public nextInboxIndex;
    /// @notice Whether the Rollup is frozen (permanent: the escape hatch is open).
    bool public frozen;
    /// @notice The number of proven batches; batches are numbered from 0.
    uint256 public batchCount;
    /// @notice The withdrawals root committed by each proven batch, by batch number.
    mapping(uint256 batchNumber => bytes32) public withdrawalsRoot;
    /// @notice Each backend's current verifier and program key (a zero verifier: disabled).
    mapping(Backend => ProgramVerifier) public programVerifier;
    /// @notice Each backend's proposed change (`readyAt == 0`: none).
    mapping(Backend => PendingChange) public pendingChange;

    /// @param inbox_ The Inbox whose entries batches prove.
    /// @param sp1Verifier The SP1 verifier (Succinct's gateway; `MockVerifier` on dev chains).
    /// @param sp1VKey The verification key of the SP1 guest program.
    /// @param genesisStateRoot The state root before any inbox entry.
    /// @param owner_ May change verifiers through the timelock (ZisK starts disabled).
    /// @param upgradeDelay_ Seconds a verifier change waits; must exceed `escapeDeadline_`.
    /// @param escapeDeadline_ Seconds after which an unproven entry lets anyone freeze the Rollup.
    constructor(
        Inbox inbox_,
        ISP1Verifier sp1Verifier,
        bytes32 sp1VKey,
        bytes32 genesisStateRoot,
        address owner_,
        uint256 upgradeDelay_,
        uint256 escapeDeadline_
    ) Ownable(owner_) {
        if (escapeDeadline_ == 0 || upgradeDelay_ <= escapeDeadline_) {
            revert BadDelays(upgradeDelay_, escapeDeadline_);
        }
        inbox = inbox_;
        upgradeDelay = upgradeDelay_;
        escapeDeadline = escapeDeadline_;
        stateRoot = genesisStateRoot;
        programVerifier[Backend.SP1] = ProgramVerifier(sp1Verifier, sp1VKey);
        emit VerifierChanged(Backend.SP1, sp1Verifier, sp1VKey);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                         OPERATIONS                         */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice Settles a batch proven by SP1; see `submitBatchWith`.
    /// @param header The batch's public values (docs/PROTOCOL.md section 8).
    /// @param blobOpenings One opening per blob the range read, in inbox and blob order.
    /// @param proof The SP1 proof of `PublicValues.encode(header)`.
    function submitBatch(BatchHeader calldata header, BlobOpening[] calldata blobOpenings, bytes calldata proof)
        external
    {
        _settle(Backend.SP1, header, blobOpenings, proof);
    }

    /// @notice Settles a proven batch: checks that `header` continues the proven chain over
    ///         existing inbox entries, that `blobOpenings` open every blob to the values the guest
    ///         committed, verifies `proof` with `backend`'s verifier, then advances.
    /// @dev Permissionless: the proof alone authorizes the transition.
    /// @param backend The zkVM that produced `proof`.
    /// @param header The batch's public values (docs/PROTOCOL.md section 8).
    /// @param blobOpenings One opening per blob the range read, in inbox and blob order.
    /// @param proof The proof of `PublicValues.encode(header)`.
    function submitBatchWith(
        Backend backend,
        BatchHeader calldata header,
        BlobOpening[] calldata blobOpenings,
        bytes calldata proof
    ) external {
        _settle(backend, header, blobOpenings, proof);
    }

    /// @notice Settles consecutive SP1 ranges with one proof of the aggregation program
    ///         (docs/PROTOCOL.md section 14), which verified each range's SP1 proof against
    ///         `aggregate.rangeVKey` and that each range starts where the one before ended. The span
    ///         must continue the proven chain like one batch; each range then settles as a batch of
    ///         its own (its withdrawals root, its `BatchVerified`), after its blob openings are checked.
    /// @dev Permissionless: the proof alone authorizes the transition. The ranges' chaining is the
    ///      program's check; `rangesHash` binds the headers given here to the ones it verified.
    /// @param aggregate The aggregation program's public values.
    /// @param ranges Each range's header, in inbox order.
    /// @param blobOpenings Each range's blob openings (as `submitBatch` takes them).
    /// @param proof The proof of `PublicValues.encodeAggregate(aggregate)`.
    function submitAggregate(
        AggregateHeader calldata aggregate,
        BatchHeader[] calldata ranges,
        BlobOpening[][] calldata blobOpenings,
        bytes calldata proof
    ) external {
        if (frozen) revert RollupFrozen();
        ProgramVerifier memory program = _configured(Backend.SP1_AGGREGATION);
        bytes32 rangeVKey = _configured(Backend.SP1).vkey;
        if (aggregate.rangeVKey != rangeVKey) revert RangeVKeyMismatch(rangeVKey, aggregate.rangeVKey);
        if (ranges.length != aggregate.rangeCount || blobOpenings.length != ranges.length) {
            revert RangeCountMismatch(aggregate.rangeCount, ranges.length, blobOpenings.length);
        }
        bytes32 digest = PublicValues.rangesHash(ranges);
        if (digest != aggregate.rangesHash) revert RangesHashMismatch(digest, aggregate.rangesHash);
        _checkContinuity(
            aggregate.prevStateRoot,
            aggregate.inboxStart,
            aggregate.inboxEnd,
            aggregate.inboxStartAcc,
            aggregate.inboxEndAcc
        );
        for (uint256 k; k < ranges.length; ++k) {
            _checkOpenings(ranges[k], blobOpenings[k]);
        }

        program.verifier.verifyProof(program.vkey, PublicValues.encodeAggregate(aggregate), proof);

        for (uint256 k; k < ranges.length; ++k) {
            _record(Backend.SP1_AGGREGATION, ranges[k]);
        }
        stateRoot = aggregate.newStateRoot;
        nextInboxIndex = aggregate.inboxEnd;
    }

    /// @notice Freezes the Rollup for good when the oldest unproven inbox entry is older than
    ///         `escapeDeadline`; the entry is shown by the fields of its `EntryAppended` log.
    /// @dev Permissionless. After it, no batch settles and the Vault's escape hatch opens.
    /// @param kind The entry's kind.
    /// @param sender The entry's sender.
    /// @param l1Block The entry's L1 block.
    /// @param l1Timestamp The entry's L1 timestamp.
    /// @param payloadHash `keccak(payload)` of the entry.
    function freeze(uint8 kind, address sender, uint64 l1Block, uint64 l1Timestamp, bytes32 payloadHash) external {
        if (frozen) revert RollupFrozen();
        uint256 index = nextInboxIndex;
        if (index >= inbox.count()) revert NothingUnproven();
        if (!inbox.isEntry(index, kind, sender, l1Block, l1Timestamp, payloadHash)) {
            revert NotOldestUnprovenEntry(index);
        }
        uint256 freezableAt = uint256(l1Timestamp) + escapeDeadline;
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp <= freezableAt) revert EscapeDeadlineNotReached(freezableAt);
        frozen = true;
        emit Frozen(index, l1Timestamp);
    }

    /// @notice Proposes that `backend` verify with `verifier` and `vkey` from `upgradeDelay`
    ///         seconds on; replaces (and restarts) any pending change of `backend`.
    /// @param backend The backend to change.
    /// @param verifier The new verifier (zero disables the backend).
    /// @param vkey The new program verification key.
    function proposeVerifierChange(Backend backend, ISP1Verifier verifier, bytes32 vkey) external onlyOwner {
        uint256 readyAt = block.timestamp + upgradeDelay;
        pendingChange[backend] = PendingChange(verifier, vkey, readyAt);
        emit VerifierChangeProposed(backend, verifier, vkey, readyAt);
    }

    /// @notice Applies `backend`'s pending change once its delay has passed.
    /// @param backend The backend whose change to apply.
    function executeVerifierChange(Backend backend) external onlyOwner {
        PendingChange memory change = pendingChange[backend];
        if (change.readyAt == 0) revert NoPendingChange(backend);
        // forge-lint: disable-next-line(block-timestamp)
        if (block.timestamp < change.readyAt) revert ChangeNotReady(change.readyAt);
        delete pendingChange[backend];
        programVerifier[backend] = ProgramVerifier(change.verifier, change.vkey);
        emit VerifierChanged(backend, change.verifier, change.vkey);
    }

    /// @notice Withdraws `backend`'s pending change.
    /// @param backend The backend whose change to cancel.
    function cancelVerifierChange(Backend backend) external onlyOwner {
        if (pendingChange[backend].readyAt == 0) revert NoPendingChange(backend);
        delete pendingChange[backend];
        emit VerifierChangeCancelled(backend);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                           VIEWS                            */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice The SP1 backend's verifier.
    function verifier() external view returns (ISP1Verifier) {
        return programVerifier[Backend.SP1].verifier;
    }

    /// @notice The SP1 backend's program verification key.
    function programVKey() external view returns (bytes32) {
        return programVerifier[Backend.SP1].vkey;
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                      PRIVATE HELPERS                       */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function _settle(
        Backend backend,
        BatchHeader calldata header,
        BlobOpening[] calldata blobOpenings,
        bytes calldata proof
    ) private {
        if (frozen) revert RollupFrozen();
        ProgramVerifier memory program = _configured(backend);
        _checkContinuity(
            header.prevStateRoot, header.inboxStart, header.inboxEnd, header.inboxStartAcc, header.inboxEndAcc
        );
        _checkOpenings(header, blobOpenings);

        program.verifier.verifyProof(program.vkey, PublicValues.encode(header), proof);

        _record(backend, header);
        stateRoot = header.newStateRoot;
        nextInboxIndex = header.inboxEnd;
    }

    function _configured(Backend backend) private view returns (ProgramVerifier memory program) {
        program = programVerifier[backend];
        if (address(program.verifier) == address(0)) revert BackendNotConfigured(backend);
    }

    /// @dev Numbers the proven range, stores its withdrawals root and logs it.
    function _record(Backend backend, BatchHeader calldata header) private {
        uint256 batchNumber = batchCount++;
        withdrawalsRoot[batchNumber] = header.withdrawalsRoot;
        emit BatchVerified(
            batchNumber,
            backend,
            header.prevStateRoot,
            header.newStateRoot,
            header.inboxStart,
            header.inboxEnd,
            header.withdrawalsRoot,
            header.blobsHash
        );
    }

    /// @dev That `[inboxStart, inboxEnd)`, from `prevStateRoot`, continues the proven chain over
    ///      existing inbox entries whose accumulators are the ones given.
    function _checkContinuity(
        bytes32 prevStateRoot,
        uint64 inboxStart,
        uint64 inboxEnd,
        bytes32 inboxStartAcc,
        bytes32 inboxEndAcc
    ) private view {
        if (prevStateRoot != stateRoot) revert PrevStateRootMismatch(stateRoot, prevStateRoot);
        if (inboxStart != nextInboxIndex) revert InboxStartMismatch(nextInboxIndex, inboxStart);
        if (inboxEnd <= inboxStart) revert EmptyInboxRange(inboxStart, inboxEnd);
        uint256 inboxCount = inbox.count();
        if (inboxEnd > inboxCount) revert InboxEndBeyondCount(inboxEnd, inboxCount);
        bytes32 startAcc = inbox.accBefore(inboxStart);
        if (inboxStartAcc != startAcc) revert InboxStartAccMismatch(startAcc, inboxStartAcc);
        bytes32 endAcc = inbox.accAt(inboxEnd - 1);
        if (inboxEndAcc != endAcc) revert InboxEndAccMismatch(endAcc, inboxEndAcc);
    }

    /// @dev That `blobOpenings` are the range's (they hash to its `blobsHash`) and each is valid.
    function _checkOpenings(BatchHeader calldata header, BlobOpening[] calldata blobOpenings) private view {
        bytes32 blobsHash = PublicValues.blobsHash(blobOpenings);
        if (header.blobsHash != blobsHash) revert BlobsHashMismatch(blobsHash, header.blobsHash);
        for (uint256 k; k < blobOpenings.length; ++k) {
            _checkOpening(k, blobOpenings[k]);
        }
    }

    /// @dev The precompile checks `versionedHash == 0x01 ‖ sha256(commitment)[1:]`, that z and y
    ///      are field elements and the KZG proof of `p(z) = y`; it returns the two constants.
    function _checkOpening(uint256 index, BlobOpening calldata opening) private view {
        if (opening.commitment.length != 48 || opening.proof.length != 48) revert MalformedBlobOpening(index);
        (bool ok, bytes memory out) = POINT_EVALUATION.staticcall{gas: POINT_EVALUATION_GAS}(
            abi.encodePacked(opening.versionedHash, opening.z, opening.y, opening.commitment, opening.proof)
        );
        if (!ok || out.length != 64) revert BlobOpeningRejected(index);
        (uint256 fieldElements, uint256 modulus) = abi.decode(out, (uint256, uint256));
        if (fieldElements != FIELD_ELEMENTS_PER_BLOB || modulus != BLS_MODULUS) revert BlobOpeningRejected(index);
    }
}
