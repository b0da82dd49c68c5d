// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {DevnetFixtureTest} from "./DevnetFixture.t.sol";

/// @notice Any batch a node proved, as `clobnode export-fixture BATCH --out tests/fixtures/exported/F.json`
///         wrote it: run `CLOBNODE_FIXTURE=/tests/fixtures/exported/F.json forge test --mc ExportedBatchTest`.
///         Every DevnetFixtureTest check runs on it: the Inbox is rebuilt by replaying the batch's
///         entries as L1 logged them (with the deployment's fees), the Rollup is positioned at the
///         batch's start, the header, blob openings (checked by the 0x0a precompile) and proof
///         settle, and any altered field is refused. Without the variable it reads the devnet
///         fixture. Mock-proven batches settle through the MockVerifier: the proof is empty (INSECURE).
contract ExportedBatchTest is DevnetFixtureTest {
    function _fixturePath() internal view override returns (string memory) {
        return vm.envOr("CLOBNODE_FIXTURE", string("/tests/fixtures/devnet_batch.json"));
    }
}
