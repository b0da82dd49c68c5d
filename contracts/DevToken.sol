// SPDX-License-Identifier: MIT
pragma solidity ^0.8.24;

import {ERC20} from "@openzeppelin/contracts/token/ERC20/ERC20.sol";

/// @title DevToken
/// @notice DEVNET ONLY: an ERC-20 that anyone may mint, for local exchanges and tests.
contract DevToken is ERC20 {
    uint8 private immutable _decimals;

    /// @param name_ The token name.
    /// @param symbol_ The token symbol.
    /// @param decimals_ The number of decimals.
    constructor(string memory name_, string memory symbol_, uint8 decimals_) ERC20(name_, symbol_) {
        _decimals = decimals_;
    }

    /// @notice The number of decimals given at deployment.
    function decimals() public view override returns (uint8) {
        return _decimals;
    }

    /// @notice DEVNET ONLY: mints `amount` to `to`; open to anyone.
    /// @param to The recipient.
    /// @param amount The amount to mint.
    function mint(address to, uint256 amount) external {
        _mint(to, amount);
    }
}
