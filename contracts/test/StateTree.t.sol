// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {StateTree} from "../StateTree.sol";
import {StateTreeBuilder} from "./utils/StateTreeBuilder.sol";

/// @notice Exposes `StateTree.rootFromBranch` over calldata, as `Vault.escape` uses it.
contract StateTreeHarness {
    function rootFromBranch(bytes32 path, bytes32 leaf, bytes32[] calldata siblings) external pure returns (bytes32) {
        return StateTree.rootFromBranch(path, leaf, siblings);
    }
}

/// @notice The state tree's hashing (docs/PROTOCOL.md sections 10 and 12): leaves, balance
///         records and branches walked up to the root, against plain `abi.encodePacked`
///         definitions and the in-memory tree of `StateTreeBuilder`.
contract StateTreeTest is Test {
    StateTreeHarness internal harness;

    function setUp() public {
        harness = new StateTreeHarness();
    }

    function _node(bytes32 left, bytes32 right) internal pure returns (bytes32) {
        return keccak256(abi.encodePacked(left, right));
    }

    /// @dev `n` records with paths and leaves drawn from `seed`.
    function _records(uint256 n, uint256 seed) internal pure returns (bytes32[] memory paths, bytes32[] memory leaves) {
        paths = new bytes32[](n);
        leaves = new bytes32[](n);
        for (uint256 i; i < n; ++i) {
            (paths[i], leaves[i]) = StateTreeBuilder.record(abi.encode(seed, i), abi.encode("value", seed, i));
        }
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                          leafHash                          */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function test_leafHash_isKeccakOfPathRecordAndOne() public pure {
        bytes32 path = keccak256("key");
        // Empty, shorter than a word, a balance (32 bytes), across words, and long records.
        uint256[6] memory lengths = [uint256(0), 1, 30, 32, 33, 200];
        for (uint256 i; i < lengths.length; ++i) {
            bytes memory record = new bytes(lengths[i]);
            for (uint256 j; j < record.length; ++j) {
                record[j] = keccak256(abi.encode(j))[0];
            }
            assertEq(StateTree.leafHash(path, record), keccak256(abi.encodePacked(path, record, bytes1(0x01))));
        }
    }

    function testFuzz_leafHash_isKeccakOfPathRecordAndOne(bytes32 path, bytes memory record) public pure {
        assertEq(StateTree.leafHash(path, record), keccak256(abi.encodePacked(path, record, bytes1(0x01))));
    }

    function test_leafHash_ofABalanceRecordIsOne65ByteHash() public pure {
        bytes32 path = keccak256("key");
        bytes memory record = abi.encodePacked(uint128(7e15), uint128(2e15));
        assertEq(
            StateTree.leafHash(path, record),
            keccak256(abi.encodePacked(path, uint128(7e15), uint128(2e15), bytes1(0x01)))
        );
    }

    function test_leafHash_leavesAllocatedMemoryAlone() public pure {
        _assertLeafHashLeavesMemoryAlone(keccak256("key"), "a record longer than one word, to cross a word");
    }

    function testFuzz_leafHash_leavesAllocatedMemoryAlone(bytes32 path, bytes memory record) public pure {
        _assertLeafHashLeavesMemoryAlone(path, record);
    }

    /// @dev `leafHash` neither moves the free memory pointer nor changes its argument or memory
    ///      allocated before the call.
    function _assertLeafHashLeavesMemoryAlone(bytes32 path, bytes memory record) internal pure {
        bytes memory before = abi.encodePacked(path, record);
        bytes32 beforeHash = keccak256(before);
        bytes32 recordHash = keccak256(record);
        uint256 freeBefore;
        assembly ("memory-safe") {
            freeBefore := mload(0x40)
        }
        StateTree.leafHash(path, record);
        uint256 freeAfter;
        assembly ("memory-safe") {
            freeAfter := mload(0x40)
        }
        assertEq(freeAfter, freeBefore);
        assertEq(keccak256(before), beforeHash);
        assertEq(keccak256(record), recordHash);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                     balance records                        */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function test_balancePath_isKeccakOfKindTraderToken() public pure {
        address trader = 0x70997970C51812dc3A010C7d01b50e0d17dc79C8;
        address token = 0xB0B0b0B0B0B0B0b0B0B0B0b0b0b0b0B0b0b0B0B0;
        assertEq(StateTree.balancePath(trader, token), keccak256(abi.encodePacked(uint8(0x06), trader, token)));
    }

    function testFuzz_balancePath_isKeccakOfKindTraderToken(address trader, address token) public pure {
        assertEq(StateTree.balancePath(trader, token), keccak256(abi.encodePacked(uint8(0x06), trader, token)));
    }

    function testFuzz_balancePath_ignoresDirtyUpperBits(address trader, address token, uint96 junkA, uint96 junkB)
        public
        pure
    {
        address dirtyTrader;
        address dirtyToken;
        assembly ("memory-safe") {
            dirtyTrader := or(shl(160, junkA), trader)
            dirtyToken := or(shl(160, junkB), token)
        }
        assertEq(StateTree.balancePath(dirtyTrader, dirtyToken), StateTree.balancePath(trader, token));
    }

    function test_balanceLeafAt_isTheLeafHashOfAvailableAndLocked() public pure {
        bytes32 path = keccak256("balance");
        assertEq(
            StateTree.balanceLeafAt(path, 7e15, 2e15),
            StateTree.leafHash(path, abi.encodePacked(uint128(7e15), uint128(2e15)))
        );
        assertEq(
            StateTree.balanceLeafAt(path, 7e15, 2e15),
            keccak256(abi.encodePacked(path, uint128(7e15), uint128(2e15), bytes1(0x01)))
        );
    }

    function testFuzz_balanceLeafAt_isTheLeafHashOfAvailableAndLocked(bytes32 path, uint128 available, uint128 locked)
        public
        pure
    {
        assertEq(
            StateTree.balanceLeafAt(path, available, locked),
            StateTree.leafHash(path, abi.encodePacked(available, locked))
        );
    }

    function test_balanceLeafAt_ignoresDirtyUpperBits() public pure {
        _assertBalanceLeafAtIgnoresDirtyUpperBits(
            keccak256("balance"), 7e15, 2e15, type(uint128).max, uint128(0xdead) << 64
        );
    }

    function testFuzz_balanceLeafAt_ignoresDirtyUpperBits(
        bytes32 path,
        uint128 available,
        uint128 locked,
        uint128 junkA,
        uint128 junkB
    ) public pure {
        _assertBalanceLeafAtIgnoresDirtyUpperBits(path, available, locked, junkA, junkB);
    }

    function _assertBalanceLeafAtIgnoresDirtyUpperBits(
        bytes32 path,
        uint128 available,
        uint128 locked,
        uint128 junkA,
        uint128 junkB
    ) internal pure {
        uint128 dirtyAvailable;
        uint128 dirtyLocked;
        assembly ("memory-safe") {
            dirtyAvailable := or(shl(128, junkA), available)
            dirtyLocked := or(shl(128, junkB), locked)
        }
        assertEq(
            StateTree.balanceLeafAt(path, dirtyAvailable, dirtyLocked), StateTree.balanceLeafAt(path, available, locked)
        );
    }

    function testFuzz_balanceLeafAt_leavesAllocatedMemoryAlone(bytes32 path, uint128 available, uint128 locked)
        public
        pure
    {
        bytes memory before = abi.encodePacked(path, available, locked);
        bytes32 beforeHash = keccak256(before);
        uint256 freeBefore;
        assembly ("memory-safe") {
            freeBefore := mload(0x40)
        }
        StateTree.balanceLeafAt(path, available, locked);
        uint256 freeAfter;
        assembly ("memory-safe") {
            freeAfter := mload(0x40)
        }
        assertEq(freeAfter, freeBefore);
        assertEq(keccak256(before), beforeHash);
    }

    function test_balanceLeaf_isTheLeafOfTheBalanceRecord() public pure {
        address trader = address(0xA11CE);
        address token = address(0xD05D);
        (bytes32 path, bytes32 leaf) = StateTreeBuilder.record(
            abi.encodePacked(uint8(0x06), trader, token), abi.encodePacked(uint128(70e6), uint128(10e6))
        );
        assertEq(StateTree.balanceLeaf(trader, token, 70e6, 10e6), leaf);
        assertEq(StateTree.balanceLeaf(trader, token, 70e6, 10e6), StateTree.balanceLeafAt(path, 70e6, 10e6));
    }

    function testFuzz_balanceLeaf_isTheLeafOfTheBalanceRecord(
        address trader,
        address token,
        uint128 available,
        uint128 locked
    ) public pure {
        (bytes32 path, bytes32 leaf) = StateTreeBuilder.record(
            abi.encodePacked(uint8(0x06), trader, token), abi.encodePacked(available, locked)
        );
        assertEq(StateTree.balanceLeaf(trader, token, available, locked), leaf);
        assertEq(
            StateTree.balanceLeaf(trader, token, available, locked),
            StateTree.leafHash(StateTree.balancePath(trader, token), abi.encodePacked(available, locked))
        );
        assertEq(path, StateTree.balancePath(trader, token));
    }

    function testFuzz_balanceLeaf_ignoresDirtyUpperBits(
        address trader,
        address token,
        uint128 available,
        uint128 locked,
        uint256 junk
    ) public pure {
        address dirtyTrader;
        address dirtyToken;
        uint128 dirtyAvailable;
        uint128 dirtyLocked;
        assembly ("memory-safe") {
            dirtyTrader := or(shl(160, junk), trader)
            dirtyToken := or(shl(160, not(junk)), token)
            dirtyAvailable := or(shl(128, junk), available)
            dirtyLocked := or(shl(128, not(junk)), locked)
        }
        assertEq(
            StateTree.balanceLeaf(dirtyTrader, dirtyToken, dirtyAvailable, dirtyLocked),
            StateTree.balanceLeaf(trader, token, available, locked)
        );
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                       rootFromBranch                       */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function test_rootFromBranch_ofAnEmptyBranchIsTheLeaf() public view {
        assertEq(harness.rootFromBranch(keccak256("path"), keccak256("leaf"), new bytes32[](0)), keccak256("leaf"));
    }

    function testFuzz_rootFromBranch_ofAnEmptyBranchIsTheLeaf(bytes32 path, bytes32 leaf) public view {
        assertEq(harness.rootFromBranch(path, leaf, new bytes32[](0)), leaf);
    }

    function test_rootFromBranch_goesRightOnABitOfOne() public view {
        bytes32 leaf = keccak256("leaf");
        bytes32[] memory siblings = new bytes32[](2);
        siblings[0] = keccak256("at depth 2");
        siblings[1] = keccak256("at depth 1");
        // Path 10…: right at depth 1 (bit 0), left at depth 2 (bit 1).
        bytes32 path = bytes32(uint256(1) << 255);
        assertEq(harness.rootFromBranch(path, leaf, siblings), _node(siblings[1], _node(leaf, siblings[0])));
        // Path 01…: left at depth 1, right at depth 2.
        path = bytes32(uint256(1) << 254);
        assertEq(harness.rootFromBranch(path, leaf, siblings), _node(_node(siblings[0], leaf), siblings[1]));
        // Bits below the leaf's depth do not matter.
        assertEq(
            harness.rootFromBranch(bytes32(uint256(path) | type(uint240).max), leaf, siblings),
            harness.rootFromBranch(path, leaf, siblings)
        );
    }

    function testFuzz_rootFromBranch_matchesTheReferenceWalk(bytes32 path, bytes32 leaf, bytes32[] calldata siblings)
        public
        view
    {
        vm.assume(siblings.length <= 256);
        assertEq(harness.rootFromBranch(path, leaf, siblings), StateTreeBuilder.rootFromBranch(path, leaf, siblings));
    }

    function test_rootFromBranch_walks256Siblings() public view {
        bytes32[] memory siblings = new bytes32[](256);
        for (uint256 i; i < 256; ++i) {
            siblings[i] = keccak256(abi.encode(i));
        }
        bytes32 path = keccak256("deepest");
        bytes32 root = harness.rootFromBranch(path, keccak256("leaf"), siblings);
        assertEq(root, StateTreeBuilder.rootFromBranch(path, keccak256("leaf"), siblings));
    }

    function testFuzz_rootFromBranch_reachesTwoLeavesApartOnlyInTheLastBit(bytes32 path) public view {
        // Two paths equal in 255 bits: both leaves sit at depth 256, under 255 empty siblings.
        bytes32 other = path ^ bytes32(uint256(1));
        bytes32 leaf = keccak256(abi.encode("leaf", path));
        bytes32 otherLeaf = keccak256(abi.encode("leaf", other));
        bytes32 expected = uint256(path) & 1 == 1 ? _node(otherLeaf, leaf) : _node(leaf, otherLeaf);
        for (uint256 depth = 255; depth > 0; --depth) {
            expected = StateTreeBuilder.bit(path, depth - 1) ? _node(0, expected) : _node(expected, 0);
        }
        bytes32[] memory siblings = new bytes32[](256);
        siblings[0] = otherLeaf;
        assertEq(harness.rootFromBranch(path, leaf, siblings), expected);
        siblings[0] = leaf;
        assertEq(harness.rootFromBranch(other, otherLeaf, siblings), expected);
    }

    function test_rootFromBranch_revertsPast256Siblings() public {
        vm.expectRevert(abi.encodeWithSelector(StateTree.BranchTooLong.selector, 257));
        harness.rootFromBranch(bytes32(0), keccak256("leaf"), new bytes32[](257));
    }

    function testFuzz_rootFromBranch_revertsPast256Siblings(uint256 length, bytes32 path, bytes32 leaf) public {
        length = bound(length, 257, 2048);
        vm.expectRevert(abi.encodeWithSelector(StateTree.BranchTooLong.selector, length));
        harness.rootFromBranch(path, leaf, new bytes32[](length));
    }

    function test_rootFromBranch_everyBranchOfABuiltTreeLeadsToItsRoot() public view {
        (bytes32[] memory paths, bytes32[] memory leaves) = _records(37, 0);
        bytes32 root = StateTreeBuilder.root(paths, leaves);
        for (uint256 i; i < paths.length; ++i) {
            bytes32[] memory siblings = StateTreeBuilder.branch(paths, leaves, paths[i]);
            assertEq(harness.rootFromBranch(paths[i], leaves[i], siblings), root);
        }
    }

    function testFuzz_rootFromBranch_everyBranchOfABuiltTreeLeadsToItsRoot(uint256 n, uint256 seed) public view {
        n = bound(n, 1, 24);
        (bytes32[] memory paths, bytes32[] memory leaves) = _records(n, seed);
        bytes32 root = StateTreeBuilder.root(paths, leaves);
        for (uint256 i; i < n; ++i) {
            bytes32[] memory siblings = StateTreeBuilder.branch(paths, leaves, paths[i]);
            assertEq(harness.rootFromBranch(paths[i], leaves[i], siblings), root);
        }
    }

    function testFuzz_rootFromBranch_missesTheRootWithAnyFlippedSiblingBit(
        uint256 seed,
        uint256 which,
        uint256 bitIndex
    ) public view {
        (bytes32[] memory paths, bytes32[] memory leaves) = _records(16, seed);
        bytes32 root = StateTreeBuilder.root(paths, leaves);
        which = bound(which, 0, 15);
        bytes32[] memory siblings = StateTreeBuilder.branch(paths, leaves, paths[which]);
        siblings[bitIndex % siblings.length] ^= bytes32(uint256(1) << (bitIndex % 256));
        assertTrue(harness.rootFromBranch(paths[which], leaves[which], siblings) != root);
    }

    /*´:°•.°+.*•´.*:˚.°*.˚•´.°:°•.°•.*•´.*:˚.°*.˚•´.°:°•.°+.*•´.*:*/
    /*                      StateTreeBuilder                      */
    /*.•°:°.´+˚.*°.˚:*.´•*.+°.•°:´*.´•*.•°.•°:°.´:•˚°.*°.˚:*.´+°.•*/

    function test_stateTreeBuilder_emptyTreeIsZeroAndOneLeafIsTheLeaf() public pure {
        assertEq(StateTreeBuilder.root(new bytes32[](0), new bytes32[](0)), bytes32(0));
        (bytes32[] memory paths, bytes32[] memory leaves) = _records(1, 0);
        assertEq(StateTreeBuilder.root(paths, leaves), leaves[0]);
        assertEq(StateTreeBuilder.branch(paths, leaves, paths[0]).length, 0);
    }

    function test_stateTreeBuilder_twoLeavesSplitOnTheirFirstDifferingBit() public pure {
        bytes32[] memory paths = new bytes32[](2);
        bytes32[] memory leaves = new bytes32[](2);
        // 0b0110… and 0b0100…: equal in bits 0-1, apart at bit 2 (depth 3 leaves).
        paths[0] = bytes32(uint256(0x6) << 252);
        paths[1] = bytes32(uint256(0x4) << 252);
        leaves[0] = keccak256("right");
        leaves[1] = keccak256("left");
        // Depth 1: both left; depth 2: both right; depth 3: 0100 left, 0110 right.
        bytes32 root = _node(_node(0, _node(leaves[1], leaves[0])), 0);
        assertEq(StateTreeBuilder.root(paths, leaves), root);
        bytes32[] memory siblings = StateTreeBuilder.branch(paths, leaves, paths[0]);
        assertEq(siblings.length, 3);
        assertEq(siblings[0], leaves[1]);
        assertEq(siblings[1], bytes32(0));
        assertEq(siblings[2], bytes32(0));
    }

    function testFuzz_stateTreeBuilder_rootIsTheSameWhateverTheOrder(uint256 n, uint256 seed, uint256 shuffle)
        public
        pure
    {
        n = bound(n, 2, 16);
        (bytes32[] memory paths, bytes32[] memory leaves) = _records(n, seed);
        bytes32 root = StateTreeBuilder.root(paths, leaves);
        for (uint256 i = n - 1; i > 0; --i) {
            uint256 j = uint256(keccak256(abi.encode(shuffle, i))) % (i + 1);
            (paths[i], paths[j]) = (paths[j], paths[i]);
            (leaves[i], leaves[j]) = (leaves[j], leaves[i]);
        }
        assertEq(StateTreeBuilder.root(paths, leaves), root);
    }
}
