//! `Engine`: the exchange state held by the node, advanced only by the core's transition.

use std::borrow::Cow;

use clob_core::message::Side;
use clob_core::root::state_root;
use clob_core::state::{GenesisConfig, Market, State};
use clob_core::transition::apply_entries;
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::convert::{self, bytes_field, field, fixed, hex0x};

#[pyclass(module = "clobnode_core")]
pub struct Engine {
    state: State,
}

fn market_from_dict(dict: &Bound<'_, PyDict>) -> PyResult<Market> {
    Ok(Market {
        id: field(dict, "id")?.extract()?,
        base: fixed(&bytes_field(dict, "base")?, "base")?,
        quote: fixed(&bytes_field(dict, "quote")?, "quote")?,
        base_lot: field(dict, "base_lot")?.extract()?,
        quote_tick: field(dict, "quote_tick")?.extract()?,
    })
}

#[pymethods]
impl Engine {
    #[staticmethod]
    fn genesis(chain_id: u64, inbox: Cow<[u8]>, vault: Cow<[u8]>, markets: &Bound<'_, PyList>) -> PyResult<Engine> {
        let config = GenesisConfig { chain_id, inbox: fixed(&inbox, "inbox")?, vault: fixed(&vault, "vault")? };
        let markets =
            markets.iter().map(|item| market_from_dict(item.cast::<PyDict>()?)).collect::<PyResult<Vec<_>>>()?;
        let state = State::genesis(config, markets).map_err(|error| PyValueError::new_err(format!("{error:?}")))?;
        Ok(Engine { state })
    }

    #[staticmethod]
    fn restore(snapshot: Cow<[u8]>) -> PyResult<Engine> {
        let state = State::decode(&snapshot).ok_or_else(|| PyValueError::new_err("invalid state snapshot"))?;
        Ok(Engine { state })
    }

    fn snapshot<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.state.encode())
    }

    fn state_root<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &state_root(&self.state))
    }

    fn inbox_next_index(&self) -> u64 {
        self.state.inbox.next_index
    }

    fn inbox_acc<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.state.inbox.acc)
    }

    /// Applies entries that continue the inbox; all or nothing if a blob is missing.
    fn apply_entries<'py>(
        &mut self,
        py: Python<'py>,
        entries: &Bound<'py, PyList>,
        blobs: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyList>> {
        let entries = convert::entries(entries, self.state.inbox.next_index)?;
        let blobs = convert::blobs(blobs)?;
        let events = apply_entries(&mut self.state, &entries, &blobs).map_err(convert::transition_error)?;
        PyList::new(py, events.iter().map(|event| convert::event(py, event)).collect::<PyResult<Vec<_>>>()?)
    }

    fn book<'py>(&self, py: Python<'py>, market: u32, depth: usize) -> PyResult<Bound<'py, PyDict>> {
        let book =
            self.state.books.get(&market).ok_or_else(|| PyValueError::new_err(format!("unknown market {market}")))?;
        let levels = |side| -> PyResult<Bound<'py, PyList>> {
            let rows = book.levels(side, depth).into_iter().map(|level| {
                let row = PyDict::new(py);
                row.set_item("price", level.price)?;
                row.set_item("quantity", level.quantity)?;
                row.set_item("orders", level.orders)?;
                Ok(row)
            });
            PyList::new(py, rows.collect::<PyResult<Vec<_>>>()?)
        };
        let out = PyDict::new(py);
        out.set_item("market", market)?;
        out.set_item("bids", levels(Side::Buy)?)?;
        out.set_item("asks", levels(Side::Sell)?)?;
        Ok(out)
    }

    /// The trader's resting orders, by market then nonce.
    fn open_orders<'py>(&self, py: Python<'py>, trader: Cow<[u8]>) -> PyResult<Bound<'py, PyList>> {
        let trader = fixed(&trader, "trader")?;
        let mut rows = Vec::new();
        for (market, book) in &self.state.books {
            for order in book.open_orders(&trader) {
                let row = PyDict::new(py);
                row.set_item("market", market)?;
                row.set_item("side", order.side.name())?;
                row.set_item("price", order.price)?;
                row.set_item("quantity", order.quantity)?;
                row.set_item("nonce", order.nonce)?;
                rows.push(row);
            }
        }
        PyList::new(py, rows)
    }

    /// The trader's non-zero balances, by token.
    fn balances<'py>(&self, py: Python<'py>, trader: Cow<[u8]>) -> PyResult<Bound<'py, PyList>> {
        let trader = fixed(&trader, "trader")?;
        let rows = self.state.balances.of(&trader).map(|(token, balance)| {
            let row = PyDict::new(py);
            row.set_item("token", hex0x(token))?;
            row.set_item("available", balance.available)?;
            row.set_item("locked", balance.locked)?;
            Ok(row)
        });
        PyList::new(py, rows.collect::<PyResult<Vec<_>>>()?)
    }

    fn last_nonce(&self, trader: Cow<[u8]>) -> PyResult<u64> {
        Ok(self.state.last_nonce(&fixed(&trader, "trader")?))
    }

    fn markets<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let rows = self.state.markets.values().map(|market| {
            let row = PyDict::new(py);
            row.set_item("id", market.id)?;
            row.set_item("base", hex0x(&market.base))?;
            row.set_item("quote", hex0x(&market.quote))?;
            row.set_item("base_lot", market.base_lot)?;
            row.set_item("quote_tick", market.quote_tick)?;
            Ok(row)
        });
        PyList::new(py, rows.collect::<PyResult<Vec<_>>>()?)
    }

    fn genesis_config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let genesis = &self.state.genesis;
        let out = PyDict::new(py);
        out.set_item("chain_id", genesis.chain_id)?;
        out.set_item("inbox", hex0x(&genesis.inbox))?;
        out.set_item("vault", hex0x(&genesis.vault))?;
        Ok(out)
    }
}
