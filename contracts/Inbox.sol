// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Vault} from "./Vault.sol";

/// @title Inbox
/// @notice The one ordered queue of L2 inputs. Entry `i` is committed to by a rolling accumulator
///         `acc[i] = keccak(acc[i-1] ‖ entryHash_i)`, `acc[-1] = 0` (docs/PROTOCOL.md section 1), so
///         the Rollup can check that a proof covers exactly the entries `[start, end)`.
///         Anti-spam (docs/CONTRACTS.md): every entry but a blob batch pays `entryFee` wei and a
///         blob batch pays `blobFee` wei per blob, both fixed at deployment; fees accrue here and
///         `withdrawFees` sends them to `feeRecipient` (pull, so a recipient cannot block entries).
/// @dev The Inbox creates its Vault, so the pair is bound without an initializer.
contract Inbox {
    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                         CONSTANTS                          */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice Kind of an order or cancel sent by the trader itself.
    uint8 public constant DIRECT = 1;
    /// @notice Kind of a signed envelope relayed by anyone.
    uint8 public constant SIGNED = 2;
    /// @notice Kind of a deposit, appended by the Vault.
    uint8 public constant DEPOSIT = 3;
    /// @notice Kind of a blob batch: the versioned hashes of the transaction's blobs.
    uint8 public constant BLOB_BATCH = 4;
    /// @notice Kind of a withdrawal request from the trader itself.
    uint8 public constant WITHDRAWAL = 5;
    /// @notice Largest direct message or signed envelope accepted, in bytes.
    uint256 public constant MAX_PAYLOAD_BYTES = 512;

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                       CUSTOM ERRORS                        */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @dev A direct message or signed envelope was empty.
    error EmptyPayload();
    /// @dev A direct message or signed envelope exceeded `MAX_PAYLOAD_BYTES`.
    error PayloadTooLarge(uint256 length);
    /// @dev `enqueueDeposit` was called by someone other than the Vault.
    error OnlyVault();
    /// @dev `proposeBatch` was called in a transaction that carries no blob.
    error NoBlobAttached();
    /// @dev `accAt` was asked for an entry that does not exist.
    error IndexOutOfRange(uint256 index, uint256 count);
    /// @dev The call did not carry exactly the entry's fee.
    error WrongFee(uint256 expected, uint256 paid);
    /// @dev A withdrawal request asked for zero tokens.
    error ZeroWithdrawal();
    /// @dev Sending the accrued fees to the fee recipient failed.
    error FeeTransferFailed();

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                           EVENTS                           */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice Entry `index` was appended; nodes derive the input stream from these logs.
    event EntryAppended(
        uint256 indexed index,
        uint8 indexed kind,
        address indexed sender,
        uint64 l1Block,
        uint64 l1Timestamp,
        bytes payload,
        bytes32 acc
    );

    /// @notice `amount` wei of accrued fees were sent to the fee recipient.
    event FeesWithdrawn(address indexed recipient, uint256 amount);

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                          STORAGE                           */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice The Vault whose deposits this Inbox records.
    Vault public immutable vault;
    /// @notice Wei each direct, signed, deposit and withdrawal entry pays.
    uint256 public immutable entryFee;
    /// @notice Wei a blob batch pays per attached blob.
    uint256 public immutable blobFee;
    /// @notice Receives the accrued fees through `withdrawFees`.
    address public immutable feeRecipient;

    /// @dev `_accs[i]` is the accumulator after entry `i`.
    bytes32[] internal _accs;

    /// @notice Deploys the Inbox together with its Vault; the deployer may bind the Vault to its
    ///         Rollup once (`Vault.bindRollup`).
    /// @param entryFee_ Wei per direct, signed, deposit or withdrawal entry (0 on devnets).
    /// @param blobFee_ Wei per blob of a blob batch (0 on devnets).
    /// @param feeRecipient_ Where `withdrawFees` sends the accrued fees.
    constructor(uint256 entryFee_, uint256 blobFee_, address feeRecipient_) {
        entryFee = entryFee_;
        blobFee = blobFee_;
        feeRecipient = feeRecipient_;
        vault = new Vault(this, msg.sender);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                         OPERATIONS                         */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice Appends an order or cancel message (docs/PROTOCOL.md section 2) from its trader.
    /// @dev The L2 reads `msg.sender` as the trader; the message itself is validated on L2.
    /// @param message The message, 1 to `MAX_PAYLOAD_BYTES` bytes.
    function sendDirect(bytes calldata message) external payable {
        _checkFee(entryFee);
        _checkPayload(message);
        _append(DIRECT, message);
    }

    /// @notice Appends a signed envelope (docs/PROTOCOL.md section 3) on behalf of its signer.
    /// @dev The signature is checked by the state transition, not here.
    /// @param envelope The envelope, 1 to `MAX_PAYLOAD_BYTES` bytes.
    function relaySigned(bytes calldata envelope) external payable {
        _checkFee(entryFee);
        _checkPayload(envelope);
        _append(SIGNED, envelope);
    }

    /// @notice Appends a deposit the Vault has taken custody of; the Vault forwards the
    ///         depositor's entry fee.
    /// @param trader The depositor, credited on L2.
    /// @param token The ERC-20 deposited.
    /// @param amount The amount the Vault actually received.
    /// @return index The deposit's inbox index (the key of `Vault.reclaimDeposit`).
    function enqueueDeposit(address trader, address token, uint256 amount) external payable returns (uint256 index) {
        if (msg.sender != address(vault)) revert OnlyVault();
        _checkFee(entryFee);
        index = _accs.length;
        _append(DEPOSIT, abi.encodePacked(trader, token, amount));
    }

    /// @notice Asks the exchange to move `amount` of `token` from the caller's available balance
    ///         to the withdrawals root of the batch that proves this entry (docs/PROTOCOL.md
    ///         section 11); the Vault then pays it with `Vault.claimWithdrawal`.
    /// @dev Whether the balance suffices is decided on L2; an unfunded request is a recorded no-op.
    /// @param token The ERC-20 to withdraw.
    /// @param amount The amount, non-zero.
    function requestWithdrawal(address token, uint256 amount) external payable {
        _checkFee(entryFee);
        if (amount == 0) revert ZeroWithdrawal();
        _append(WITHDRAWAL, abi.encodePacked(token, amount));
    }

    /// @notice Appends a blob batch: the versioned hashes of every blob this type-3 transaction
    ///         carries, in order, for `blobFee` wei per blob. Permissionless: the L2 rejects
    ///         malformed batches as no-ops.
    function proposeBatch() external payable {
        bytes memory versionedHashes;
        for (uint256 k;; ++k) {
            bytes32 versionedHash = blobhash(k);
            if (versionedHash == bytes32(0)) break;
            versionedHashes = bytes.concat(versionedHashes, versionedHash);
        }
        if (versionedHashes.length == 0) revert NoBlobAttached();
        _checkFee(blobFee * (versionedHashes.length / 32));
        _append(BLOB_BATCH, versionedHashes);
    }

    /// @notice Sends every accrued fee to `feeRecipient`; callable by anyone.
    function withdrawFees() external {
        uint256 amount = address(this).balance;
        (bool ok,) = feeRecipient.call{value: amount}("");
        if (!ok) revert FeeTransferFailed();
        emit FeesWithdrawn(feeRecipient, amount);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                           VIEWS                            */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice The number of entries appended so far.
    function count() external view returns (uint256) {
        return _accs.length;
    }

    /// @notice The accumulator after entry `index`; reverts if there is no such entry.
    function accAt(uint256 index) public view returns (bytes32) {
        if (index >= _accs.length) revert IndexOutOfRange(index, _accs.length);
        return _accs[index];
    }

    /// @notice The accumulator before entry `index`: zero for 0, else `accAt(index - 1)`.
    function accBefore(uint256 index) external view returns (bytes32) {
        return index == 0 ? bytes32(0) : accAt(index - 1);
    }

    /// @notice Whether entry `index` is exactly `(kind, sender, l1Block, l1Timestamp, payloadHash)`:
    ///         the accumulator binds every field, so anyone holding the `EntryAppended` log can
    ///         prove an entry's time or content on L1 without the Inbox storing it.
    function isEntry(uint256 index, uint8 kind, address sender, uint64 l1Block, uint64 l1Timestamp, bytes32 payloadHash)
        external
        view
        returns (bool)
    {
        if (index >= _accs.length) return false;
        bytes32 prev = index == 0 ? bytes32(0) : _accs[index - 1];
        bytes32 hash = keccak256(abi.encodePacked(kind, sender, l1Block, l1Timestamp, payloadHash));
        return keccak256(abi.encodePacked(prev, hash)) == _accs[index];
    }

    /// @notice The hash of an entry as the accumulator absorbs it (docs/PROTOCOL.md section 1).
    function entryHash(uint8 kind, address sender, uint64 l1Block, uint64 l1Timestamp, bytes memory payload)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encodePacked(kind, sender, l1Block, l1Timestamp, keccak256(payload)));
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                      PRIVATE HELPERS                       */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function _checkFee(uint256 fee) private view {
        if (msg.value != fee) revert WrongFee(fee, msg.value);
    }

    function _checkPayload(bytes calldata payload) private pure {
        if (payload.length == 0) revert EmptyPayload();
        if (payload.length > MAX_PAYLOAD_BYTES) revert PayloadTooLarge(payload.length);
    }

    function _append(uint8 kind, bytes memory payload) private {
        uint256 index = _accs.length;
        uint64 l1Block = uint64(block.number);
        uint64 l1Timestamp = uint64(block.timestamp);
        bytes32 prev = index == 0 ? bytes32(0) : _accs[index - 1];
        bytes32 acc = keccak256(abi.encodePacked(prev, entryHash(kind, msg.sender, l1Block, l1Timestamp, payload)));
        _accs.push(acc);
        emit EntryAppended(index, kind, msg.sender, l1Block, l1Timestamp, payload, acc);
    }
}
