//! `Engine`: the exchange state held by the node, advanced only by the core's transition.

use std::borrow::Cow;
use std::sync::{Mutex, MutexGuard};

use clob_core::events::{EventKind, RejectReason};
use clob_core::ledger::{LeafValue, Ledger};
use clob_core::message::{Message, Side};
use clob_core::signers_ahead;
use clob_core::state::{GenesisConfig, Market, OrderKind, StateKey};
use clob_core::transition::{apply_direct, apply_entries, preview};
use pyo3::exceptions::PyValueError;
use pyo3::prelude::*;
use pyo3::types::{PyBytes, PyDict, PyList, PyTuple};

use crate::convert::{self, bytes_field, field, field_or, fixed, hex0x};

/// The exchange state held by the node: every record and the state tree (the core's
/// `Ledger`), advanced only by the core's transition, committed once per L1 block.
///
/// The ledger sits behind a mutex: Python may call from several threads (the node's loop,
/// the API), and the state's access log is not shared between threads.
#[pyclass(module = "clobnode_core")]
pub struct Engine {
    ledger: Mutex<Ledger>,
}

impl Engine {
    pub(crate) fn new(ledger: Ledger) -> Engine {
        Engine { ledger: Mutex::new(ledger) }
    }

    fn ledger(&self) -> MutexGuard<'_, Ledger> {
        // A panic while the lock was held left no half-applied entry (the transition is all or
        // nothing per call), so a poisoned lock is still the last state.
        self.ledger.lock().unwrap_or_else(|poisoned| poisoned.into_inner())
    }
}

/// Threads that recover a block's signers ahead of the transition, at most.
const MAX_RECOVERY_THREADS: usize = 8;

/// A fresh seed for the state's hash tables, from the operating system.
fn os_seed() -> u64 {
    use std::hash::{BuildHasher, RandomState};
    RandomState::new().hash_one(0x5eed_u64)
}

fn state_key(bytes: &[u8]) -> PyResult<StateKey> {
    StateKey::decode(bytes).ok_or_else(|| PyValueError::new_err(format!("not a state key: {}", hex0x(bytes))))
}

/// `[(key bytes, value bytes or None)]` as leaf values.
fn leaf_values(list: &Bound<'_, PyList>) -> PyResult<Vec<LeafValue>> {
    list.iter()
        .map(|item| {
            let (key, value): (Cow<[u8]>, Option<Cow<[u8]>>) = item.extract()?;
            Ok((state_key(&key)?, value.map(Cow::into_owned)))
        })
        .collect()
}

fn leaf_list<'py>(py: Python<'py>, values: &[LeafValue]) -> PyResult<Bound<'py, PyList>> {
    let rows = values.iter().map(|(key, value)| {
        (PyBytes::new(py, &key.encode()), value.as_ref().map(|bytes| PyBytes::new(py, bytes))).into_pyobject(py)
    });
    PyList::new(py, rows.collect::<PyResult<Vec<_>>>()?)
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
        EventKind::Rejected { reason, .. } => (4, u64::from(reason.code()), 0, 0),
        _ => (5, 0, 0, 0),
    };
    out.push(tag);
    for value in [a, b, c] {
        out.extend_from_slice(&value.to_be_bytes());
    }
}

impl Engine {
    fn known_market(&self, market: u32) -> PyResult<()> {
        match self.ledger().state.market(market) {
            Some(_) => Ok(()),
            None => Err(PyValueError::new_err(format!("unknown market {market}"))),
        }
    }
}

#[pymethods]
impl Engine {
    #[staticmethod]
    #[pyo3(signature = (chain_id, inbox, vault, markets, seed=None))]
    fn genesis(
        chain_id: u64,
        inbox: Cow<[u8]>,
        vault: Cow<[u8]>,
        markets: &Bound<'_, PyList>,
        seed: Option<u64>,
    ) -> PyResult<Engine> {
        let config = GenesisConfig { chain_id, inbox: fixed(&inbox, "inbox")?, vault: fixed(&vault, "vault")? };
        let markets =
            markets.iter().map(|item| market_from_dict(item.cast::<PyDict>()?)).collect::<PyResult<Vec<_>>>()?;
        let ledger = Ledger::genesis(config, markets, seed.unwrap_or_else(os_seed))
            .map_err(|error| PyValueError::new_err(format!("{error:?}")))?;
        Ok(Engine::new(ledger))
    }

    /// The state from its stored leaves: `[(key, value)]`, each key once.
    #[staticmethod]
    #[pyo3(signature = (records, seed=None))]
    fn restore(records: &Bound<'_, PyList>, seed: Option<u64>) -> PyResult<Engine> {
        let records = records
            .iter()
            .map(|item| {
                let (key, value): (Cow<[u8]>, Cow<[u8]>) = item.extract()?;
                Ok((state_key(&key)?, value.into_owned()))
            })
            .collect::<PyResult<Vec<_>>>()?;
        let ledger = Ledger::restore(records, seed.unwrap_or_else(os_seed))
            .map_err(|error| PyValueError::new_err(format!("invalid stored state: {error:?}")))?;
        Ok(Engine::new(ledger))
    }

    /// Every leaf of the state: `[(key, value)]`, sorted by key.
    fn records<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let rows = self.ledger().state.records().into_iter().map(|(key, value)| (key, Some(value))).collect::<Vec<_>>();
        leaf_list(py, &rows)
    }

    fn state_root<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.ledger().root())
    }

    fn inbox_next_index(&self) -> u64 {
        self.ledger().state.inbox_position().0
    }

    fn inbox_acc<'py>(&self, py: Python<'py>) -> Bound<'py, PyBytes> {
        PyBytes::new(py, &self.ledger().state.inbox_position().1)
    }

    /// Recovers the signers of every message in `entries` on every core, with the GIL released
    /// and the state unlocked, and keeps them for this thread's next `apply_entries`
    /// (`signers_ahead`: the transition then finds each answer instead of computing it).
    /// Returns how many were kept; entries that do not continue the inbox keep nothing.
    fn recover_signers<'py>(
        &self,
        py: Python<'py>,
        entries: &Bound<'py, PyList>,
        blobs: &Bound<'py, PyDict>,
    ) -> PyResult<usize> {
        signers_ahead::forget();
        let Ok(entries) = convert::entries(entries, self.inbox_next_index()) else {
            return Ok(0);
        };
        let blobs = convert::blobs(blobs)?;
        let genesis = self.ledger().state.genesis_config().clone();
        let threads = std::thread::available_parallelism().map_or(1, |n| n.get().min(MAX_RECOVERY_THREADS));
        Ok(py.detach(|| {
            let envelopes = signers_ahead::envelopes_of(&entries, &blobs);
            signers_ahead::recover_ahead(genesis.chain_id, &genesis.inbox, &envelopes, threads)
        }))
    }

    /// Applies entries that continue the inbox; all or nothing if a blob is missing. What
    /// `recover_signers` kept for this thread is used, then dropped.
    fn apply_entries<'py>(
        &self,
        py: Python<'py>,
        entries: &Bound<'py, PyList>,
        blobs: &Bound<'py, PyDict>,
    ) -> PyResult<Bound<'py, PyList>> {
        let applied = convert::entries(entries, self.inbox_next_index()).and_then(|entries| {
            let blobs = convert::blobs(blobs)?;
            Ok(apply_entries(&mut self.ledger().state, &entries, &blobs))
        });
        signers_ahead::forget();
        let events = applied?.map_err(convert::transition_error)?;
        PyList::new(py, events.iter().map(|event| convert::event(py, event)).collect::<PyResult<Vec<_>>>()?)
    }

    /// Updates the state tree with what was applied since the last commit (one L1 block):
    /// `(root, changed [(key, value or None)], accessed [key])`.
    fn commit<'py>(&mut self, py: Python<'py>) -> PyResult<Bound<'py, PyTuple>> {
        let commit = self.ledger().commit();
        let accessed = PyList::new(py, commit.accessed.iter().map(|key| PyBytes::new(py, &key.encode())))?;
        (PyBytes::new(py, &commit.root), leaf_list(py, &commit.changed)?, accessed).into_pyobject(py)
    }

    /// Sets leaves back to earlier values (a reorg's rollback): `[(key, value or None)]`.
    fn revert(&mut self, values: &Bound<'_, PyList>) -> PyResult<()> {
        let values = leaf_values(values)?;
        self.ledger().revert(&values).map_err(|error| PyValueError::new_err(format!("invalid leaf: {error:?}")))
    }

    /// The root the tree had when `values` (`[(key, value or None)]`) were its leaves.
    fn root_with<'py>(&self, py: Python<'py>, values: &Bound<'py, PyList>) -> PyResult<Bound<'py, PyBytes>> {
        Ok(PyBytes::new(py, &self.ledger().root_with(&leaf_values(values)?)))
    }

    /// The witness of a range that reached `keys`, from the tree at its start to the tree at
    /// its end, each given by the leaves changed since, as they were (PROTOCOL.md section 9).
    fn witness<'py>(
        &self,
        py: Python<'py>,
        keys: &Bound<'py, PyList>,
        start: &Bound<'py, PyList>,
        end: &Bound<'py, PyList>,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let keys = keys.iter().map(|key| state_key(&key.extract::<Cow<[u8]>>()?)).collect::<PyResult<Vec<_>>>()?;
        let (start, end) = (leaf_values(start)?, leaf_values(end)?);
        let witness = self
            .ledger()
            .witness(&keys, &start, &end)
            .map_err(|error| PyValueError::new_err(format!("cannot write the witness: {error:?}")))?;
        Ok(PyBytes::new(py, &witness))
    }

    fn book<'py>(&self, py: Python<'py>, market: u32, depth: usize) -> PyResult<Bound<'py, PyDict>> {
        self.known_market(market)?;
        let ledger = self.ledger();
        let state = &ledger.state;
        let levels = |side| -> PyResult<Bound<'py, PyList>> {
            let rows = state.depth(market, side, depth).into_iter().map(|level| {
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
        self.known_market(market)?;
        let ledger = self.ledger();
        let state = &ledger.state;
        let data = state.market_state(market);
        let out = PyDict::new(py);
        out.set_item("market", market)?;
        out.set_item("best_bid", state.best_price(market, Side::Buy))?;
        out.set_item("best_ask", state.best_price(market, Side::Sell))?;
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
        let now = state.l1_timestamp();
        let day = match state.ohlcv_24h(market, now) {
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
        out.set_item("timestamp", now)?;
        Ok(out)
    }

    /// The trader's resting and stop orders, by market then nonce.
    fn open_orders<'py>(&self, py: Python<'py>, trader: Cow<[u8]>) -> PyResult<Bound<'py, PyList>> {
        let trader = fixed(&trader, "trader")?;
        let ledger = self.ledger();
        let state = &ledger.state;
        let mut rows = Vec::new();
        for market in state.account(&trader).markets.iter().map(|open| open.market) {
            for (nonce, order) in state.orders_of(&trader, market) {
                let row = PyDict::new(py);
                row.set_item("market", market)?;
                row.set_item("side", order.side.name())?;
                row.set_item("price", order.price)?;
                row.set_item("quantity", order.remaining())?;
                let stop = order.kind == OrderKind::Stop;
                row.set_item("visible", if stop { 0 } else { order.visible })?;
                row.set_item("nonce", nonce)?;
                row.set_item("client_order_id", order.client_order_id)?;
                row.set_item("trigger_price", order.trigger_price)?;
                rows.push(row);
            }
        }
        PyList::new(py, rows)
    }

    /// `{available, locked, path, leaf, siblings, root}` proving `(trader, token)` in the tree
    /// with `values` (`[(key, value or None)]`, the leaves changed since, as they were) set:
    /// the state as the node describes it (PROTOCOL.md section 12); None when the balance is zero.
    #[pyo3(signature = (trader, token, values=None))]
    fn balance_proof<'py>(
        &self,
        py: Python<'py>,
        trader: Cow<[u8]>,
        token: Cow<[u8]>,
        values: Option<&Bound<'py, PyList>>,
    ) -> PyResult<Option<Bound<'py, PyDict>>> {
        let values = match values {
            Some(list) => leaf_values(list)?,
            None => Vec::new(),
        };
        let (trader, token) = (fixed(&trader, "trader")?, fixed(&token, "token")?);
        let Some(proof) = self.ledger().balance_proof(&trader, &token, &values) else {
            return Ok(None);
        };
        let out = PyDict::new(py);
        out.set_item("available", proof.balance.available)?;
        out.set_item("locked", proof.balance.locked)?;
        out.set_item("path", PyBytes::new(py, &proof.path))?;
        out.set_item("leaf", PyBytes::new(py, &proof.leaf))?;
        out.set_item("siblings", PyList::new(py, proof.siblings.iter().map(|node| PyBytes::new(py, node)))?)?;
        out.set_item("root", PyBytes::new(py, &proof.root))?;
        Ok(Some(out))
    }

    /// Applies many messages in one call WITHOUT inbox accounting or signatures: the matching
    /// engine alone, for benchmarks and simulations (the state then matches no inbox; the node
    /// never calls this). `inputs` repeats `trader(20) ‖ length(u16) ‖ message`. Returns the
    /// events as 25-byte records `type ‖ a ‖ b ‖ c` (u8, then u64s): 1 accepted (nonce, price,
    /// quantity), 2 fill (maker nonce, price, quantity), 3 cancelled (nonce, remaining, reason
    /// code), 4 rejected (code), 5 other.
    fn apply_batch<'py>(
        &mut self,
        py: Python<'py>,
        inputs: Cow<[u8]>,
        l1_timestamp: u64,
    ) -> PyResult<Bound<'py, PyBytes>> {
        let mut out = Vec::with_capacity(inputs.len());
        let mut events = Vec::new();
        let mut cursor: &[u8] = &inputs;
        let mut ledger = self.ledger();
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
                Some(message) => apply_direct(&mut ledger.state, &trader, &message, l1_timestamp, &mut events),
                None => {
                    compact_event(&mut out, &EventKind::Rejected { reason: RejectReason::Malformed, subject: None })
                }
            }
            for event in &events {
                compact_event(&mut out, &event.kind);
            }
        }
        // Matching only: no tree to update, nothing for a witness.
        ledger.state.clear_accessed();
        Ok(PyBytes::new(py, &out))
    }

    /// The trader's non-zero balances, by token.
    fn balances<'py>(&self, py: Python<'py>, trader: Cow<[u8]>) -> PyResult<Bound<'py, PyList>> {
        let trader = fixed(&trader, "trader")?;
        let balances = self.ledger().state.balances_of(&trader);
        let rows = balances.into_iter().map(|(token, balance)| {
            let row = PyDict::new(py);
            row.set_item("token", hex0x(&token))?;
            row.set_item("available", balance.available)?;
            row.set_item("locked", balance.locked)?;
            Ok(row)
        });
        PyList::new(py, rows.collect::<PyResult<Vec<_>>>()?)
    }

    /// Whether `trader`'s encoded `message` would pass the engine's checks now (L1 time `now`),
    /// changing nothing: `{"reason", "code"}` of the rejection it would get, or `{"token",
    /// "amount"}` it would lock (token None: nothing). Balances are the caller's to compare.
    fn preview<'py>(
        &self,
        py: Python<'py>,
        trader: Cow<[u8]>,
        message: Cow<[u8]>,
        now: u64,
    ) -> PyResult<Bound<'py, PyDict>> {
        let trader = fixed(&trader, "trader")?;
        let message = Message::decode(&message).ok_or_else(|| PyValueError::new_err("malformed message"))?;
        let out = PyDict::new(py);
        match preview(&self.ledger().state, &trader, &message, now) {
            Err(reason) => {
                out.set_item("reason", reason.name())?;
                out.set_item("code", reason.code())?;
            }
            Ok(lock) => {
                out.set_item("token", lock.map(|lock| hex0x(&lock.token)))?;
                out.set_item("amount", lock.map_or(0, |lock| lock.amount))?;
            }
        }
        Ok(out)
    }

    fn last_nonce(&self, trader: Cow<[u8]>) -> PyResult<u64> {
        Ok(self.ledger().state.last_nonce(&fixed(&trader, "trader")?))
    }

    fn markets<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyList>> {
        let ledger = self.ledger();
        let rows = ledger.state.markets().into_iter().map(|market| market_dict(py, market));
        PyList::new(py, rows.collect::<PyResult<Vec<_>>>()?)
    }

    fn genesis_config<'py>(&self, py: Python<'py>) -> PyResult<Bound<'py, PyDict>> {
        let ledger = self.ledger();
        let genesis = ledger.state.genesis_config();
        let out = PyDict::new(py);
        out.set_item("chain_id", genesis.chain_id)?;
        out.set_item("inbox", hex0x(&genesis.inbox))?;
        out.set_item("vault", hex0x(&genesis.vault))?;
        Ok(out)
    }
}
