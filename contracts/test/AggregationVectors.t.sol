// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {Test} from "forge-std/Test.sol";
import {AggregateHeader, BatchHeader, PublicValues} from "../PublicValues.sol";

/// @dev `PublicValues.rangesHash` reads calldata: an external call gives it some.
contract RangesHasher {
    function rangesHash(BatchHeader[] calldata ranges) external pure returns (bytes32) {
        return PublicValues.rangesHash(ranges);
    }
}

/// @notice Replays tests/vectors/aggregation.json (written by the core's gen_vectors, replayed by
///         cargo and pytest too): for every input the aggregation program accepts, the Rollup
///         hashes the ranges' headers and encodes the aggregate header to the bytes it commits.
contract AggregationVectorsTest is Test {
    string internal json;
    RangesHasher internal hasher;

    function setUp() public {
        json = vm.readFile(string.concat(vm.projectRoot(), "/tests/vectors/aggregation.json"));
        hasher = new RangesHasher();
    }

    function _case(uint256 i, string memory field) internal pure returns (string memory) {
        return string.concat(".cases[", vm.toString(i), "].", field);
    }

    function test_aggregation_rangesHashAndHeaderEncodingMatchTheProgram() public view {
        uint256 accepted;
        for (uint256 i; vm.keyExistsJson(json, string.concat(".cases[", vm.toString(i), "]")); ++i) {
            if (!vm.keyExistsJson(json, _case(i, "encoded"))) continue;
            ++accepted;
            bytes[] memory encodedRanges = vm.parseJsonBytesArray(json, _case(i, "ranges"));
            BatchHeader[] memory ranges = new BatchHeader[](encodedRanges.length);
            for (uint256 k; k < ranges.length; ++k) {
                ranges[k] = abi.decode(encodedRanges[k], (BatchHeader));
                assertEq(PublicValues.encode(ranges[k]), encodedRanges[k]);
            }
            AggregateHeader memory header = AggregateHeader({
                rangeVKey: vm.parseJsonBytes32(json, _case(i, "header.range_vkey")),
                prevStateRoot: vm.parseJsonBytes32(json, _case(i, "header.prev_state_root")),
                newStateRoot: vm.parseJsonBytes32(json, _case(i, "header.new_state_root")),
                inboxStart: uint64(vm.parseJsonUint(json, _case(i, "header.inbox_start"))),
                inboxEnd: uint64(vm.parseJsonUint(json, _case(i, "header.inbox_end"))),
                inboxStartAcc: vm.parseJsonBytes32(json, _case(i, "header.inbox_start_acc")),
                inboxEndAcc: vm.parseJsonBytes32(json, _case(i, "header.inbox_end_acc")),
                rangeCount: uint64(vm.parseJsonUint(json, _case(i, "header.range_count"))),
                rangesHash: vm.parseJsonBytes32(json, _case(i, "header.ranges_hash"))
            });
            assertEq(hasher.rangesHash(ranges), header.rangesHash);
            assertEq(header.rangeCount, ranges.length);
            bytes memory encoded = PublicValues.encodeAggregate(header);
            assertEq(encoded.length, PublicValues.AGGREGATE_ENCODED_LENGTH);
            assertEq(encoded, vm.parseJsonBytes(json, _case(i, "encoded")));
        }
        assertGe(accepted, 2);
    }
}
