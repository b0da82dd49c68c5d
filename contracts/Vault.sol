// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {IERC20} from "@openzeppelin/contracts/token/ERC20/IERC20.sol";
import {SafeERC20} from "@openzeppelin/contracts/token/ERC20/utils/SafeERC20.sol";
import {MerkleProof} from "@openzeppelin/contracts/utils/cryptography/MerkleProof.sol";
import {ReentrancyGuardTransient} from "@openzeppelin/contracts/utils/ReentrancyGuardTransient.sol";
import {Inbox} from "./Inbox.sol";
import {Rollup} from "./Rollup.sol";
import {StateTree} from "./StateTree.sol";

/// @title Vault
/// @notice ERC-20 custody for the exchange. A deposit moves tokens here and appends a DEPOSIT
///         entry to the Inbox crediting what actually arrived; a withdrawal proven by the Rollup
///         is paid once by Merkle proof against its batch's withdrawals root; when the Rollup is
///         frozen, every account's last proven balance and every unproven deposit is paid out
///         once (docs/PROTOCOL.md sections 11-12).
/// @dev Created by its Inbox; the Inbox's deployer binds it to the Rollup once (`bindRollup`).
///      Tokens whose balance changes without a transfer (rebasing) are not supported.
contract Vault is ReentrancyGuardTransient {
    using SafeERC20 for IERC20;

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                       CUSTOM ERRORS                        */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @dev A deposit asked for, or delivered, zero tokens.
    error ZeroDeposit();
    /// @dev A deposit delivered more than the exchange can credit (2^128 - 1).
    error DepositTooLarge(uint256 received);
    /// @dev `bindRollup` was called by someone other than the Inbox's deployer.
    error OnlyDeployer();
    /// @dev The Vault is already bound to a Rollup.
    error RollupAlreadyBound();
    /// @dev The Rollup does not prove this Vault's Inbox.
    error RollupOfOtherInbox();
    /// @dev No Rollup is bound yet.
    error RollupNotBound();
    /// @dev The withdrawal leaf was already paid.
    error WithdrawalAlreadyClaimed(bytes32 leaf);
    /// @dev The Merkle proof does not lead to the batch's withdrawals root.
    error InvalidWithdrawalProof();
    /// @dev The escape hatch is closed: the Rollup is not frozen.
    error NotFrozen();
    /// @dev The caller already escaped with this token.
    error AlreadyEscaped(address trader, address token);
    /// @dev The balance leaf and branch do not lead to the last verified state root.
    error InvalidBalanceProof();
    /// @dev The deposit was covered by a proven batch: its value is in the escape balances.
    error DepositWasProven(uint256 inboxIndex);
    /// @dev The deposit was already refunded.
    error DepositAlreadyReclaimed(uint256 inboxIndex);
    /// @dev The inbox holds no such deposit at that index.
    error UnknownDeposit(uint256 inboxIndex);

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                           EVENTS                           */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice The Vault now pays against `rollup`.
    event RollupBound(address indexed rollup);
    /// @notice `trader` deposited `amount` of `token` as inbox entry `inboxIndex`.
    event Deposited(uint256 indexed inboxIndex, address indexed trader, address indexed token, uint256 amount);
    /// @notice The withdrawal of inbox entry `inboxIndex`, proven in `batchNumber`, was paid.
    event WithdrawalClaimed(
        uint256 indexed batchNumber, address indexed trader, address indexed token, uint256 amount, uint64 inboxIndex
    );
    /// @notice `trader` escaped with its last proven balance of `token`.
    event Escaped(address indexed trader, address indexed token, uint128 available, uint128 locked);
    /// @notice The unproven deposit at `inboxIndex` was refunded to `trader`.
    event DepositReclaimed(uint256 indexed inboxIndex, address indexed trader, address indexed token, uint256 amount);

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                          STORAGE                           */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice The Inbox that records this Vault's deposits.
    Inbox public immutable inbox;
    /// @notice The account that deployed the Inbox: the only one that may bind the Rollup.
    address public immutable deployer;

    /// @notice The Rollup whose proven batches and state root the Vault pays against.
    Rollup public rollup;
    /// @notice Whether a withdrawal leaf (docs/PROTOCOL.md section 11) was paid.
    mapping(bytes32 leaf => bool) public withdrawalClaimed;
    /// @notice Whether `trader` escaped with `token`.
    mapping(address trader => mapping(address token => bool)) public escaped;
    /// @notice Whether the unproven deposit at an inbox index was refunded.
    mapping(uint256 inboxIndex => bool) public depositReclaimed;

    /// @param inbox_ The Inbox creating this Vault.
    /// @param deployer_ The Inbox's deployer.
    constructor(Inbox inbox_, address deployer_) {
        inbox = inbox_;
        deployer = deployer_;
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                         OPERATIONS                         */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice Binds the Vault to the Rollup that proves its Inbox; once, by the deployer.
    /// @param rollup_ The Rollup.
    function bindRollup(Rollup rollup_) external {
        if (msg.sender != deployer) revert OnlyDeployer();
        if (address(rollup) != address(0)) revert RollupAlreadyBound();
        if (rollup_.inbox() != inbox) revert RollupOfOtherInbox();
        rollup = rollup_;
        emit RollupBound(address(rollup_));
    }

    /// @notice Takes `amount` of `token` from the caller (after an ERC-20 approval) and credits the
    ///         caller on L2 with the amount received, so fee-on-transfer tokens credit what arrived.
    ///         Pays the Inbox's `entryFee` (forwarded `msg.value`).
    /// @dev Non-reentrant: a token calling back into `deposit` would otherwise be counted twice
    ///      by the balance difference. Tokens without a boolean return value work (SafeERC20).
    /// @param token The ERC-20 to deposit.
    /// @param amount The amount to transfer; must be non-zero.
    /// @return received The amount credited.
    function deposit(address token, uint256 amount) external payable nonReentrant returns (uint256 received) {
        if (amount == 0) revert ZeroDeposit();
        uint256 balanceBefore = IERC20(token).balanceOf(address(this));
        IERC20(token).safeTransferFrom(msg.sender, address(this), amount);
        received = IERC20(token).balanceOf(address(this)) - balanceBefore;
        if (received == 0) revert ZeroDeposit();
        if (received > type(uint128).max) revert DepositTooLarge(received);
        uint256 index = inbox.enqueueDeposit{value: msg.value}(msg.sender, token, received);
        emit Deposited(index, msg.sender, token, received);
    }

    /// @notice Pays `trader` the withdrawal of inbox entry `inboxIndex` proven in batch
    ///         `batchNumber`; each leaf once. Anyone may submit it; the tokens go to `trader`.
    /// @param batchNumber The batch whose withdrawals root holds the leaf.
    /// @param trader The withdrawing trader.
    /// @param token The ERC-20 withdrawn.
    /// @param amount The amount withdrawn.
    /// @param inboxIndex The inbox index of the WITHDRAWAL entry.
    /// @param proof The sorted-pair Merkle branch of the leaf (docs/PROTOCOL.md section 11).
    function claimWithdrawal(
        uint256 batchNumber,
        address trader,
        address token,
        uint256 amount,
        uint64 inboxIndex,
        bytes32[] calldata proof
    ) external nonReentrant {
        Rollup bound = _rollup();
        bytes32 leaf = withdrawalLeaf(trader, token, amount, inboxIndex);
        if (withdrawalClaimed[leaf]) revert WithdrawalAlreadyClaimed(leaf);
        if (!MerkleProof.verifyCalldata(proof, bound.withdrawalsRoot(batchNumber), leaf)) {
            revert InvalidWithdrawalProof();
        }
        withdrawalClaimed[leaf] = true;
        IERC20(token).safeTransfer(trader, amount);
        emit WithdrawalClaimed(batchNumber, trader, token, amount, inboxIndex);
    }

    /// @notice Escape hatch: once the Rollup is frozen, pays the caller `available + locked` of
    ///         `token` as the last verified state root holds them; once per (caller, token).
    /// @dev The leaf of the caller's balance record, `keccak(path ‖ available(16) ‖ locked(16) ‖
    ///      0x01)` with `path = keccak(0x06 ‖ msg.sender ‖ token)` (`StateTree.balanceLeafAt`,
    ///      one 65-byte hash), is walked up `proof` (`StateTree.rootFromBranch`) and compared
    ///      with the Rollup's `stateRoot` (docs/PROTOCOL.md sections 10 and 12); a branch past
    ///      256 siblings reverts with `StateTree.BranchTooLong`.
    /// @param token The ERC-20.
    /// @param available The caller's available balance in the last verified state.
    /// @param locked The caller's locked balance in the last verified state.
    /// @param proof The state-tree branch of the balance leaf: sibling hashes from the leaf's
    ///        depth (`proof.length`) up to depth 1.
    function escape(address token, uint128 available, uint128 locked, bytes32[] calldata proof) external nonReentrant {
        Rollup bound = _rollup();
        if (!bound.frozen()) revert NotFrozen();
        if (escaped[msg.sender][token]) revert AlreadyEscaped(msg.sender, token);
        bytes32 path = StateTree.balancePath(msg.sender, token);
        bytes32 leaf = StateTree.balanceLeafAt(path, available, locked);
        if (StateTree.rootFromBranch(path, leaf, proof) != bound.stateRoot()) revert InvalidBalanceProof();
        escaped[msg.sender][token] = true;
        IERC20(token).safeTransfer(msg.sender, uint256(available) + uint256(locked));
        emit Escaped(msg.sender, token, available, locked);
    }

    /// @notice Escape hatch: once the Rollup is frozen, refunds a deposit that no proven batch
    ///         covered (inbox index `>= Rollup.nextInboxIndex`) to its depositor; once each.
    /// @dev The deposit is shown by its `EntryAppended` fields and checked against the Inbox's
    ///      accumulator, so the Vault stores nothing per deposit.
    /// @param inboxIndex The deposit's inbox index.
    /// @param trader The depositor.
    /// @param token The ERC-20 deposited.
    /// @param amount The amount credited by the deposit.
    /// @param l1Block The entry's L1 block.
    /// @param l1Timestamp The entry's L1 timestamp.
    function reclaimDeposit(
        uint256 inboxIndex,
        address trader,
        address token,
        uint256 amount,
        uint64 l1Block,
        uint64 l1Timestamp
    ) external nonReentrant {
        Rollup bound = _rollup();
        if (!bound.frozen()) revert NotFrozen();
        if (inboxIndex < bound.nextInboxIndex()) revert DepositWasProven(inboxIndex);
        if (depositReclaimed[inboxIndex]) revert DepositAlreadyReclaimed(inboxIndex);
        bytes32 payloadHash = keccak256(abi.encodePacked(trader, token, amount));
        if (!inbox.isEntry(inboxIndex, inbox.DEPOSIT(), address(this), l1Block, l1Timestamp, payloadHash)) {
            revert UnknownDeposit(inboxIndex);
        }
        depositReclaimed[inboxIndex] = true;
        IERC20(token).safeTransfer(trader, amount);
        emit DepositReclaimed(inboxIndex, trader, token, amount);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                           VIEWS                            */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice `keccak(trader ‖ token ‖ amount(uint256) ‖ inboxIndex(uint64))` (docs/PROTOCOL.md
    ///         section 11).
    function withdrawalLeaf(address trader, address token, uint256 amount, uint64 inboxIndex)
        public
        pure
        returns (bytes32)
    {
        return keccak256(abi.encodePacked(trader, token, amount, inboxIndex));
    }

    /// @notice The state-tree leaf of `trader`'s balance of `token` (docs/PROTOCOL.md sections 10
    ///         and 12): `keccak(path ‖ available(uint128) ‖ locked(uint128) ‖ 0x01)` (65 bytes)
    ///         with `path = keccak(0x06 ‖ trader ‖ token)`.
    function balanceLeaf(address trader, address token, uint128 available, uint128 locked)
        public
        pure
        returns (bytes32)
    {
        return StateTree.balanceLeaf(trader, token, available, locked);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                      PRIVATE HELPERS                       */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function _rollup() private view returns (Rollup bound) {
        bound = rollup;
        if (address(bound) == address(0)) revert RollupNotBound();
    }
}
