// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {RollupFixture} from "../utils/RollupFixture.sol";
import {Inbox} from "../../Inbox.sol";
import {Vault} from "../../Vault.sol";
import {Rollup} from "../../Rollup.sol";
import {DevToken} from "../../DevToken.sol";
import {StateTree} from "../../StateTree.sol";
import {BatchHeader, BlobOpening} from "../../PublicValues.sol";
import {StateTreeBuilder} from "../utils/StateTreeBuilder.sol";

/// @notice Drives the stack the way the world would (deposits, withdrawal requests, proven and
///         forged batches, claims and double claims, a freeze and escapes) while keeping a ghost
///         L2 ledger that applies the inbox entries by PROTOCOL.md sections 5 and 11.
contract SettlementHandler is RollupFixture {
    struct Entry {
        uint8 kind;
        address trader;
        uint256 amount;
        uint64 l1Block;
        uint64 l1Timestamp;
    }

    struct Claim {
        uint256 batch;
        address trader;
        uint256 amount;
        uint64 inboxIndex;
        bytes32[] proof;
        bool claimed;
    }

    DevToken public token;
    address[3] internal actors;

    Entry[] internal entries;
    uint256 public provenEntries;
    mapping(address => uint256) public ledger; // available on L2 as of the last proven batch
    Claim[] internal claims;
    /// @dev The records of the last proven state: a header, then each non-zero balance.
    bytes32[] internal recordPaths;
    bytes32[] internal recordLeaves;
    address[] internal balanceOwners;

    uint256 public ghostForgedBatchesAccepted;
    uint256 public ghostDoubleClaims;
    uint256 public ghostClaimedTotal;
    uint256 public ghostEscapedTotal;
    bytes32 public ghostStateRoot;

    constructor() {
        vm.warp(1_700_000_000);
        _deployStack();
        token = new DevToken("Dev USD", "DUSD", 6);
        actors = [makeAddr("a0"), makeAddr("a1"), makeAddr("a2")];
        ghostStateRoot = GENESIS;
    }

    function stack() external view returns (Inbox, Vault, Rollup) {
        return (inbox, vault, rollup);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                          ACTIONS                           */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function deposit(uint256 actor, uint256 amount) external {
        if (rollup.frozen()) return;
        address who = actors[actor % 3];
        amount = bound(amount, 1, 1e12);
        token.mint(who, amount);
        vm.startPrank(who);
        token.approve(address(vault), amount);
        vault.deposit(address(token), amount);
        vm.stopPrank();
        entries.push(Entry(3, who, amount, uint64(block.number), uint64(block.timestamp)));
    }

    function requestWithdrawal(uint256 actor, uint256 amount) external {
        if (rollup.frozen()) return;
        address who = actors[actor % 3];
        amount = bound(amount, 1, 2e12); // some exceed the balance: rejected on L2, no leaf
        vm.prank(who);
        inbox.requestWithdrawal(address(token), amount);
        entries.push(Entry(5, who, amount, uint64(block.number), uint64(block.timestamp)));
    }

    /// @dev Proves every unproven entry: applies them to the ledger, commits the withdrawal
    ///      leaves and the state tree of the balances, and settles with the mock verifier's
    ///      empty proof.
    function settle(uint256 warp) external {
        if (rollup.frozen() || provenEntries == entries.length) return;
        vm.warp(block.timestamp + bound(warp, 0, 1 days));
        uint256 batch = rollup.batchCount();
        bytes32[] memory leaves = new bytes32[](entries.length - provenEntries);
        uint256 n;
        for (uint256 i = provenEntries; i < entries.length; ++i) {
            Entry memory e = entries[i];
            if (e.kind == 3) {
                ledger[e.trader] += e.amount;
            } else if (ledger[e.trader] >= e.amount) {
                ledger[e.trader] -= e.amount;
                leaves[n++] = vault.withdrawalLeaf(e.trader, address(token), e.amount, uint64(i));
                claims.push(Claim(batch, e.trader, e.amount, uint64(i), new bytes32[](0), false));
            }
        }
        assembly ("memory-safe") {
            mstore(leaves, n)
        }
        for (uint256 c = claims.length - n; c < claims.length; ++c) {
            claims[c].proof = _merkleProof(leaves, c - (claims.length - n));
        }
        _rebuildState();
        bytes32 newRoot = StateTreeBuilder.root(recordPaths, recordLeaves);
        BatchHeader memory header = _header(uint64(entries.length), newRoot);
        header.withdrawalsRoot = _merkleRoot(leaves);
        rollup.submitBatch(header, _noOpenings(), "");
        provenEntries = entries.length;
        ghostStateRoot = newRoot;
    }

    /// @dev A batch with a forged (non-empty) proof must never advance the root.
    function settleForged(bytes calldata proof, bytes32 newRoot) external {
        if (rollup.frozen() || provenEntries == entries.length || proof.length == 0) return;
        BatchHeader memory header = _header(uint64(entries.length), newRoot);
        try rollup.submitBatch(header, _noOpenings(), proof) {
            ++ghostForgedBatchesAccepted;
        } catch {}
    }

    function claim(uint256 index) external {
        if (claims.length == 0) return;
        Claim storage c = claims[index % claims.length];
        try vault.claimWithdrawal(c.batch, c.trader, address(token), c.amount, c.inboxIndex, c.proof) {
            if (c.claimed) ++ghostDoubleClaims;
            c.claimed = true;
            ghostClaimedTotal += c.amount;
        } catch {
            assert(c.claimed); // a valid, unclaimed leaf must always pay
        }
    }

    /// @dev Lets the oldest unproven entry go stale, freezes, and runs every escape and refund;
    ///      only late in a run (after some history) and rarely, since a freeze ends the run's story.
    function freezeAndEscape(uint256 dice) external {
        if (rollup.frozen() || provenEntries == entries.length || provenEntries < 8 || dice % 4 != 0) return;
        Entry memory e = entries[provenEntries];
        vm.warp(uint256(e.l1Timestamp) + ESCAPE_DEADLINE + 1);
        address sender = e.kind == 3 ? address(vault) : e.trader;
        bytes memory payload = e.kind == 3
            ? abi.encodePacked(e.trader, address(token), e.amount)
            : abi.encodePacked(address(token), e.amount);
        rollup.freeze(e.kind, sender, e.l1Block, e.l1Timestamp, keccak256(payload));
        for (uint256 i; i < balanceOwners.length; ++i) {
            address who = balanceOwners[i];
            bytes32[] memory branch =
                StateTreeBuilder.branch(recordPaths, recordLeaves, StateTree.balancePath(who, address(token)));
            vm.prank(who);
            vault.escape(address(token), uint128(ledger[who]), 0, branch);
            ghostEscapedTotal += ledger[who];
        }
        for (uint256 i = provenEntries; i < entries.length; ++i) {
            Entry memory d = entries[i];
            if (d.kind != 3) continue;
            vault.reclaimDeposit(i, d.trader, address(token), d.amount, d.l1Block, d.l1Timestamp);
            ghostEscapedTotal += d.amount;
        }
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                       GHOST VIEWS                          */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    /// @notice What the Vault owes: proven balances (unless escaped), proven unclaimed withdrawals,
    ///         and unproven deposits (unless refunded).
    function claimable() external view returns (uint256 owed) {
        bool frozen = rollup.frozen();
        for (uint256 i; i < 3; ++i) {
            if (!vault.escaped(actors[i], address(token))) owed += ledger[actors[i]];
        }
        for (uint256 c; c < claims.length; ++c) {
            if (!claims[c].claimed) owed += claims[c].amount;
        }
        for (uint256 i = provenEntries; i < entries.length; ++i) {
            if (entries[i].kind == 3 && !(frozen && vault.depositReclaimed(i))) owed += entries[i].amount;
        }
    }

    /// @notice The accumulator recomputed from the recorded entries, and the count.
    function ghostAcc() external view returns (bytes32 acc, uint256 count) {
        for (uint256 i; i < entries.length; ++i) {
            Entry memory e = entries[i];
            address sender = e.kind == 3 ? address(vault) : e.trader;
            bytes memory payload = e.kind == 3
                ? abi.encodePacked(e.trader, address(token), e.amount)
                : abi.encodePacked(address(token), e.amount);
            acc = keccak256(abi.encodePacked(acc, inbox.entryHash(e.kind, sender, e.l1Block, e.l1Timestamp, payload)));
        }
        count = entries.length;
    }

    function _rebuildState() private {
        delete recordPaths;
        delete recordLeaves;
        delete balanceOwners;
        (bytes32 headerPath, bytes32 headerLeaf) = StateTreeBuilder.record(hex"00", "header");
        recordPaths.push(headerPath);
        recordLeaves.push(headerLeaf);
        for (uint256 i; i < 3; ++i) {
            uint256 available = ledger[actors[i]];
            if (available == 0) continue;
            recordPaths.push(StateTree.balancePath(actors[i], address(token)));
            // forge-lint: disable-next-line(unsafe-typecast)
            recordLeaves.push(vault.balanceLeaf(actors[i], address(token), uint128(available), 0)); // deposits are bounded far below 2^128
            balanceOwners.push(actors[i]);
        }
    }
}
