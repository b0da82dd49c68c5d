//! `Engine`: the exchange state held by the node, advanced only by the core's transition.

use std::borrow::Cow;

use clob_core::book::MarketState;
use clob_core::events::{EventKind, RejectReason};
use clob_core::message::{Message, Side};
use clob_core::root::{balance_proof, state_root};
use clob_core::state::{GenesisConfig, Market, State};
use clob_core::transition::{apply_direct, apply_entries};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList};

use crate::convert::{self, bytes_field, field, field_or, fixed, hex0x};

#[pyclass(module = "clobnode_core")]
pub struct Engine {
    state: State,
}

/// A market dict: `id, base, quote, base_lot, quote_tick` and optional parameters, defaulting
/// to [`Market::simple`]'s.
fn market_from_dict(dict: &Bound<'_, PyDict>) -> PyResult<Market> {
    let simple = Market::simple(
        field(dict, "id")?.extract()?,
        fixed(&bytes_field(dict, "base")?, "base")?,
        fixed(&bytes_field(dict, "quote")?, "quote")?,
        field(dict, "base_lot")?.extract()?,
        field(dict, "quote_tick")?.extract()?,
    );
    let fee_recipient = match dict.get_item("fee_recipient")? {
        Some(value) => fixed(&value.extract::<Cow<[u8]>>()?, "fee_recipient")?,
        None => simple.fee_recipient,
    };
    Ok(Market {
        min_size: field_or(dict, "min_size", simple.min_size)?,
        max_size: field_or(dict, "max_size", simple.max_size)?,
        maker_fee_bps: field_or(dict, "maker_fee_bps", simple.maker_fee_bps)?,
        taker_fee_bps: field_or(dict, "taker_fee_bps", simple.taker_fee_bps)?,
        fee_recipient,
        band_bps: field_or(dict, "band_bps", simple.band_bps)?,
        band_window: field_or(dict, "band_window", simple.band_window)?,
        halt_seconds: field_or(dict, "halt_seconds", simple.halt_seconds)?,
        max_open_orders: field_or(dict, "max_open_orders", simple.max_open_orders)?,
        max_fills: field_or(dict, "max_fills", simple.max_fills)?,
        ..simple
    })
}

fn market_dict<'py>(py: Python<'py>, market: &Market) -> PyResult<Bound<'py, PyDict>> {
    let row = PyDict::new(py);
    row.set_item("id", market.id)?;
    row.set_item("base", hex0x(&market.base))?;
    row.set_item("quote", hex0x(&market.quote))?;
    row.set_item("base_lot", market.base_lot)?;
    row.set_item("quote_tick", market.quote_tick)?;
    row.set_item("min_size", market.min_size)?;
    row.set_item("max_size", market.max_size)?;
    row.set_item("maker_fee_bps", market.maker_fee_bps)?;
    row.set_item("taker_fee_bps", market.taker_fee_bps)?;
    row.set_item("fee_recipient", hex0x(&market.fee_recipient))?;
    row.set_item("band_bps", market.band_bps)?;
    row.set_item("band_window", market.band_window)?;
    row.set_item("halt_seconds", market.halt_seconds)?;
    row.set_item("max_open_orders", market.max_open_orders)?;
    row.set_item("max_fills", market.max_fills)?;
    Ok(row)
}

/// One compact event record of [`Engine::apply_batch`]: `type(u8) ‖ a ‖ b ‖ c` (u64 each).
fn compact_event(out: &mut Vec<u8>, kind: &EventKind) {
    let (tag, a, b, c) = match kind {
        EventKind::Accepted { order, .. } => (1u8, order.nonce, order.price, order.quantity),
        EventKind::Fill { maker_nonce, price, quantity, .. } => (2, *maker_nonce, *price, *quantity),
        EventKind::Cancelled { nonce, remaining, reason, .. } => (3, *nonce, *remaining, u64::from(reason.code())),
        EventKind::Rejected { reason } => (4, u64::from(reason.code()), 0, 0),
        _ => (5, 0, 0, 0),
    };
    out.push(tag);
    for value in [a, b, c] {
        out.extend_from_slice(&value.to_be_bytes());
    }
}

impl Engine {
    fn market_state(&self, market: u32) -> PyResult<&MarketState> {
        self.state.market_states.get(&market).ok_or_else(|| PyValueError::new_err(format!("unknown market {market}")))
    }
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
        let book = &self.market_state(market)?.book;
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

    /// Best bid/ask, last trade, halt and the rolling 24h OHLCV (hourly buckets) of a market.
    fn market_data<'py>(&self, py: Python<'py>, market: u32) -> PyResult<Bound<'py, PyDict>> {
        let data = self.market_state(market)?;
        let out = PyDict::new(py);
        out.set_item("market", market)?;
        out.set_item("best_bid", data.book.best_price(Side::Buy))?;
        out.set_item("best_ask", data.book.best_price(Side::Sell))?;
        let last = match data.last_trade {
            Some(trade) => {
                let row = PyDict::new(py);
                row.set_item("price", trade.price)?;
                row.set_item("quantity", trade.quantity)?;
                row.set_item("timestamp", trade.timestamp)?;
                Some(row)
            }
            None => None,
        };
        out.set_item("last_trade", last)?;
        out.set_item("halted_until", data.breaker.halted_until)?;
        let day = match data.ohlcv_24h(self.state.l1_timestamp) {
            Some(day) => {
                let row = PyDict::new(py);
                row.set_item("open", day.open)?;
                row.set_item("high", day.high)?;
                row.set_item("low", day.low)?;
                row.set_item("close", day.close)?;
                row.set_item("volume", day.volume)?;
                row.set_item("quote_volume", day.quote_volume)?;
                Some(row)
            }
            None => None,
        };
        out.set_item("ohlcv_24h", day)?;
        out.set_item("timestamp", self.state.l1_timestamp)?;
        Ok(out)
    }

    /// The trader's resting and stop orders, by market then nonce.
    fn open_orders<'py>(&self, py: Python<'py>, trader: Cow<[u8]>) -> PyResult<Bound<'py, PyList>> {
        let trader = fixed(&trader, "trader")?;
        let mut rows = Vec::new();
        for (market, data) in &self.state.market_states {
            for order in data.book.orders_of(&trader) {
                let row = PyDict::new(py);
                row.set_item("market", market)?;
                row.set_item("side", order.side.name())?;
                row.set_item("price", order.price)?;
                row.set_item("quantity", order.remaining())?;
                row.set_item("visible", order.visible)?;
                row.set_item("nonce", order.nonce)?;
                row.set_item("client_order_id", order.client_order_id)?;
                row.set_item("trigger_price", 0)?;
                rows.push(row);
            }
            for stop in data.stops.of(&trader) {
                let row = PyDict::new(py);
                row.set_item("market", market)?;
                row.set_item("side", stop.order.side.name())?;
                row.set_item("price", stop.order.price)?;
                row.set_item("quantity", stop.order.quantity)?;
                row.set_item("visible", 0)?;
                row.set_item("nonce", stop.order.nonce)?;
                row.set_item("client_order_id", stop.order.client_order_id)?;
                row.set_item("trigger_price", stop.order.trigger_price)?;
                rows.push(row);
            }
        }
        PyList::new(py, rows)
    }

    /// `{available, locked, leaf, proof, balances_root, rest_hash}` proving `(trader, token)`
    /// against `state_root()` (PROTOCOL.md section 12); None when the balance is zero.
    fn balance_proof<'py>(
        &self,
        py: Python<'py>,
        trader: Cow<[u8]>,
        token: Cow<[u8]>,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let Some(proof) = balance_proof(&self.state, &fixed(&trader, "trader")?, &fixed(&token, "token")?) else {
            return Ok(None);
        };
        let out = PyDict::new(py);
        out.set_item("available", proof.balance.available)?;
        out.set_item("locked", proof.balance.locked)?;
        out.set_item("leaf", PyBytes::new(py, &proof.leaf))?;
        out.set_item("proof", PyList::new(py, proof.proof.iter().map(|node| PyBytes::new(py, node)))?)?;
        out.set_item("balances_root", PyBytes::new(py, &proof.balances_root))?;
        out.set_item("rest_hash", PyBytes::new(py, &proof.rest_hash))?;
        Ok(Some(out))
    }

    /// Applies many messages in one call WITHOUT inbox accounting or signatures: the matching
    /// engine alone, for benchmarks and simulations (the state then matches no inbox; the node
    /// never calls this). `inputs` repeats `trader(20) ‖ length(u16) ‖ message`. Returns the
    /// events as 25-byte records `type ‖ a ‖ b ‖ c` (u8, then u64s): 1 accepted (nonce, price,
    /// quantity), 2 fill (maker nonce, price, quantity), 3 cancelled (nonce, remaining, reason
    /// code), 4 rejected (code), 5 other.
    fn apply_batch<'py>(&mut self, py: Python<'py>, inputs: Cow<[u8]>, l1_timestamp: u64) -> PyResult<Bound<'py, PyBytes>> {
        let mut out = Vec::with_capacity(inputs.len());
        let mut events = Vec::new();
        let mut cursor: &[u8] = &inputs;
        while !cursor.is_empty() {
            if cursor.len() < 22 {
                return Err(PyValueError::new_err("truncated batch input"));
            }
            let trader: [u8; 20] = cursor[..20].try_into().expect("20 bytes");
            let length = usize::from(u16::from_be_bytes([cursor[20], cursor[21]]));
            let message = cursor.get(22..22 + length).ok_or_else(|| PyValueError::new_err("truncated batch input"))?;
            cursor = &cursor[22 + length..];
            events.clear();
            match Message::decode(message) {
                Some(message) => apply_direct(&mut self.state, &trader, &message, l1_timestamp, &mut events),
                None => compact_event(&mut out, &EventKind::Rejected { reason: RejectReason::Malformed }),
            }
            for event in &events {
                compact_event(&mut out, &event.kind);
            }
        }
        Ok(PyBytes::new(py, &out))
    }

    /// The trader's non-zero balances, by token.
    fn balances<'py>(&self, py: Python<'py>, trader: Cow<[u8]>) -> PyResult<Bound<'py, PyList>> {
        let trader = fixed(&trader, "trader")?;
        let rows = self.state.accounts.balances_of(&trader).map(|(token, balance)| {
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
        let rows = self.state.markets.values().map(|market| market_dict(py, market));
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
