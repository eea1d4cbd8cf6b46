//! Saving and loading trained weights as safetensors in PyTorch's layout.
//!
//! | name           | shape              | PyTorch module                     |
//! |----------------|--------------------|------------------------------------|
//! | `conv1.weight` | `[c1, 1, 5, 5]`    | `nn.Conv2d(1, c1, 5, padding=2)`   |
//! | `conv1.bias`   | `[c1]`             |                                    |
//! | `conv2.weight` | `[c2, c1, 5, 5]`   | `nn.Conv2d(c1, c2, 5, padding=2)`  |
//! | `conv2.bias`   | `[c2]`             |                                    |
//! | `fc1.weight`   | `[h, c2 * 7 * 7]`  | `nn.Linear(c2 * 49, h)`            |
//! | `fc1.bias`     | `[h]`              |                                    |
//! | `fc2.weight`   | `[10, h]`          | `nn.Linear(h, 10)`                 |
//! | `fc2.bias`     | `[10]`             |                                    |
//!
//! Tensors are stored as `F32`, `F16`, or `I8` with a scale per output channel (a quarter of the
//! download; see [`Precision::I8`] and [`convert`]), and always computed in `f32`. The widths
//! `c1`, `c2` and `h` are read from the file, so a wider or narrower network of the same shape
//! loads without code changes. Every file is checked before any tensor is created: a truncated
//! file, a missing tensor or a single NaN gives a clear [`WeightsError`] instead of a network
//! that answers nonsense.
//!
//! The format is read and written here rather than through burn's store: the network has eight
//! tensors, and the browser's wasm is smaller without a general-purpose module store in it.

use std::collections::BTreeMap;
use std::fmt;

use burn::prelude::*;
use burn::tensor::f16;

use crate::model::{CLASSES, DigitNet, DigitNetConfig, DigitNetWeights, IMAGE_SIDE, InputSqueeze};

/// The eight tensors a weights file must hold, in file order.
pub const TENSOR_NAMES: [&str; 8] = [
    "conv1.weight",
    "conv1.bias",
    "conv2.weight",
    "conv2.bias",
    "fc1.weight",
    "fc1.bias",
    "fc2.weight",
    "fc2.bias",
];

/// An `I8` tensor `name`'s scales are the tensor `name` + this suffix (the convention of
/// compressed-tensors, the format vLLM reads): `F32` or `F16`, one per row.
pub const SCALE_SUFFIX: &str = "_scale";

/// Why a weights file was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum WeightsError {
    /// Not a safetensors file, or a damaged one.
    Corrupt(String),
    /// A tensor the network needs is absent.
    Missing(String),
    /// A tensor has a shape that does not fit the architecture.
    Shape { name: String, shape: Vec<usize>, expected: String },
    /// A tensor is stored in a type this crate does not read.
    DType { name: String, dtype: String },
    /// A value does not fit the precision it is being converted to.
    OutOfRange { name: String, index: usize },
    /// A tensor holds NaN or infinity.
    NotFinite { name: String, index: usize },
}

impl fmt::Display for WeightsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Corrupt(why) => write!(f, "the weights file is damaged: {why}"),
            Self::Missing(name) => write!(f, "the weights file has no tensor `{name}`"),
            Self::Shape { name, shape, expected } => {
                write!(f, "tensor `{name}` has shape {shape:?}, expected {expected}")
            }
            Self::DType { name, dtype } => {
                write!(f, "tensor `{name}` is {dtype}, expected F32, F16 or I8 (with F32 or F16 scales)")
            }
            Self::OutOfRange { name, index } => {
                write!(f, "tensor `{name}` element {index} is too large for half precision")
            }
            Self::NotFinite { name, index } => write!(
                f,
                "tensor `{name}` holds NaN or infinity (element {index}): the weights are unusable"
            ),
        }
    }
}

impl std::error::Error for WeightsError {}

#[derive(serde::Deserialize, serde::Serialize)]
struct TensorInfo {
    dtype: String,
    shape: Vec<usize>,
    data_offsets: [usize; 2],
}

/// What every safetensors reader demands beyond the tensors themselves: metadata that maps
/// names to strings, and tensor data that tiles the data section exactly, with no overlap, gap
/// or trailing byte. Checked so that a file `inspect` accepts loads in any reader.
fn check_layout(header: &BTreeMap<String, serde_json::Value>, data_len: usize) -> Result<(), WeightsError> {
    let mut spans = Vec::with_capacity(header.len());
    for (name, value) in header {
        if name == "__metadata__" {
            let strings = value.as_object().is_some_and(|m| m.values().all(serde_json::Value::is_string));
            if !(value.is_null() || strings) {
                return Err(WeightsError::Corrupt("`__metadata__` must map names to strings".into()));
            }
            continue;
        }
        let info: TensorInfo = serde_json::from_value(value.clone())
            .map_err(|e| WeightsError::Corrupt(format!("entry `{name}`: {e}")))?;
        spans.push(info.data_offsets);
    }
    spans.sort_unstable();
    let end = spans.iter().try_fold(0, |at, &[start, end]| (start == at && end >= start).then_some(end));
    if end != Some(data_len) {
        return Err(WeightsError::Corrupt(
            "the tensors do not cover the data exactly (overlapping, gaps or trailing bytes)".into(),
        ));
    }
    Ok(())
}

/// How a tensor's numbers are stored in the file.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Precision {
    F32,
    /// IEEE half precision: 2 bytes a weight, 11 significant bits (a relative rounding error of
    /// at most 2^-11), widened to `f32` on loading.
    F16,
    /// 8-bit integers from -127 to 127, times one `f32` scale per output channel or unit (the
    /// tensor's first dimension), stored beside it as `<name>_scale`: a quarter of the F32 bytes.
    /// Symmetric per-channel post-training quantisation (Jacob et al. 2018, "Quantization and
    /// Training of Neural Networks for Efficient Integer-Arithmetic-Only Inference"): the scale
    /// is the row's largest magnitude over 127 and each weight is rounded to the nearest step,
    /// so it moves by at most max |row| / 254. Only weights (rank 2 and up) are quantised;
    /// biases, a few hundred numbers, stay F32. Computation stays in `f32`.
    I8,
}

impl Precision {
    fn of(dtype: &str) -> Option<Self> {
        match dtype {
            "F32" => Some(Self::F32),
            "F16" => Some(Self::F16),
            "I8" => Some(Self::I8),
            _ => None,
        }
    }

    fn bytes(self) -> usize {
        match self {
            Self::F32 => 4,
            Self::F16 => 2,
            Self::I8 => 1,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::F32 => "F32",
            Self::F16 => "F16",
            Self::I8 => "I8",
        }
    }

    /// The stored numbers (little-endian), as `f32`; `I8` before its scale.
    fn decode(self, bytes: &[u8]) -> impl Iterator<Item = f32> + '_ {
        bytes.chunks_exact(self.bytes()).map(move |c| match self {
            Self::F32 => f32::from_le_bytes(c.try_into().unwrap()),
            Self::F16 => f16::from_le_bytes(c.try_into().unwrap()).to_f32(),
            Self::I8 => f32::from(c[0] as i8),
        })
    }
}

/// Splits a safetensors file into its JSON header and its data section.
fn parse(bytes: &[u8]) -> Result<(BTreeMap<String, serde_json::Value>, &[u8]), WeightsError> {
    let corrupt = |why: &str| WeightsError::Corrupt(why.to_string());
    if bytes.len() < 8 {
        return Err(corrupt("shorter than a safetensors header"));
    }
    let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap());
    let header_end = 8u64
        .checked_add(header_len)
        .filter(|&end| end <= bytes.len() as u64)
        .ok_or_else(|| corrupt("header length runs past the end of the file"))?
        as usize;
    let header: BTreeMap<String, serde_json::Value> = serde_json::from_slice(&bytes[8..header_end])
        .map_err(|e| WeightsError::Corrupt(format!("header is not JSON ({e})")))?;
    Ok((header, &bytes[header_end..]))
}

/// One tensor's header entry, checked against the data section: stored in a type this crate
/// reads, with exactly the bytes its shape needs. Returns the entry, its precision and its bytes.
fn tensor_entry<'a>(
    name: &str,
    value: &serde_json::Value,
    data: &'a [u8],
) -> Result<(TensorInfo, Precision, &'a [u8]), WeightsError> {
    let info: TensorInfo = serde_json::from_value(value.clone())
        .map_err(|e| WeightsError::Corrupt(format!("entry `{name}`: {e}")))?;
    let precision = Precision::of(&info.dtype)
        .ok_or_else(|| WeightsError::DType { name: name.into(), dtype: info.dtype.clone() })?;
    let [start, end] = info.data_offsets;
    // Checked: a claimed shape whose byte count overflows must not wrap to a small number that
    // happens to match the offsets.
    let bytes = info.shape.iter().try_fold(precision.bytes(), |acc, &d| acc.checked_mul(d));
    if start > end || end > data.len() || Some(end - start) != bytes {
        return Err(WeightsError::Corrupt(format!(
            "tensor `{name}` points outside the file or has the wrong byte length"
        )));
    }
    Ok((info, precision, &data[start..end]))
}

/// Tensor `name`'s header entry and its values as `f32`: F32 and F16 widened, I8 multiplied by
/// its row's scale (which must be F32 or F16, one per row).
fn tensor_values(
    header: &BTreeMap<String, serde_json::Value>,
    data: &[u8],
    name: &str,
) -> Result<(TensorInfo, Vec<f32>), WeightsError> {
    let value = header.get(name).ok_or_else(|| WeightsError::Missing(name.into()))?;
    let (info, precision, bytes) = tensor_entry(name, value, data)?;
    if precision != Precision::I8 {
        return Ok((info, precision.decode(bytes).collect()));
    }
    let scale_name = format!("{name}{SCALE_SUFFIX}");
    let Some(&rows) = info.shape.first() else {
        let expected = "a first dimension (rows to scale)".into();
        return Err(WeightsError::Shape { name: name.into(), shape: info.shape, expected });
    };
    let entry = header.get(&scale_name).ok_or_else(|| WeightsError::Missing(scale_name.clone()))?;
    let (scale_info, scale_precision, scale_bytes) = tensor_entry(&scale_name, entry, data)?;
    if scale_precision == Precision::I8 {
        return Err(WeightsError::DType { name: scale_name, dtype: scale_info.dtype });
    }
    if scale_info.shape != [rows] {
        return Err(WeightsError::Shape { name: scale_name, shape: scale_info.shape, expected: format!("[{rows}]") });
    }
    let scales: Vec<f32> = scale_precision.decode(scale_bytes).collect();
    let per_row = bytes.len().checked_div(rows).unwrap_or(0).max(1);
    let values = Precision::I8.decode(bytes).enumerate().map(|(i, q)| q * scales[i / per_row]).collect();
    Ok((info, values))
}

/// A file's network tensors, decoded, with the architecture they describe.
struct Checked {
    config: DigitNetConfig,
    /// The metadata's `input_levels`: an [`InputSqueeze`] the file asks for in front of the network.
    input_levels: Option<u32>,
    tensors: BTreeMap<&'static str, (Vec<usize>, Vec<f32>)>,
}

/// Checks a safetensors file completely (see [`inspect`]) and decodes the network's tensors.
fn check(bytes: &[u8]) -> Result<Checked, WeightsError> {
    let (header, data) = parse(bytes)?;
    // Every entry's type and byte length first: a claim of gigabytes is refused before anything
    // is decoded.
    for (name, value) in &header {
        if name != "__metadata__" {
            tensor_entry(name, value, data)?;
        }
    }

    let mut tensors = BTreeMap::new();
    for name in TENSOR_NAMES {
        let (info, values) = tensor_values(&header, data, name)?;
        if let Some(index) = values.iter().position(|v| !v.is_finite()) {
            return Err(WeightsError::NotFinite { name: name.into(), index });
        }
        tensors.insert(name, (info.shape, values));
    }
    for name in header.keys() {
        // Extra tensors in I8 need their scales too, or `convert` could not decode them.
        if name != "__metadata__" && !TENSOR_NAMES.contains(&name.as_str()) && header[name]["dtype"] == "I8" {
            tensor_values(&header, data, name)?;
        }
    }
    check_layout(&header, data.len())?;

    // The widths are the first dimensions; a tensor of rank 0 has none and fails the shape check.
    let shape = |name: &str| &tensors[name].0;
    let width = |name: &str| shape(name).first().copied().unwrap_or(0);
    let (c1, c2, hidden) = (width("conv1.weight"), width("conv2.weight"), width("fc1.weight"));
    for (name, width) in [("conv1.weight", c1), ("conv2.weight", c2), ("fc1.weight", hidden)] {
        if width == 0 {
            return Err(WeightsError::Shape {
                name: name.into(),
                shape: shape(name).clone(),
                expected: "at least one output channel or unit".into(),
            });
        }
    }
    let pooled = IMAGE_SIDE / 4;
    // Cannot overflow once conv2.weight's byte count fitted, but a wrap here would be silent.
    let flattened = c2.checked_mul(pooled * pooled).unwrap_or(usize::MAX);
    let expected: [(&str, Vec<usize>); 8] = [
        ("conv1.weight", vec![c1, 1, 5, 5]),
        ("conv1.bias", vec![c1]),
        ("conv2.weight", vec![c2, c1, 5, 5]),
        ("conv2.bias", vec![c2]),
        ("fc1.weight", vec![hidden, flattened]),
        ("fc1.bias", vec![hidden]),
        ("fc2.weight", vec![CLASSES, hidden]),
        ("fc2.bias", vec![CLASSES]),
    ];
    for (name, want) in expected {
        if *shape(name) != want {
            return Err(WeightsError::Shape { name: name.into(), shape: shape(name).clone(), expected: format!("{want:?}") });
        }
    }
    let config = DigitNetConfig::new().with_conv1_channels(c1).with_conv2_channels(c2).with_hidden(hidden);
    let input_levels = match header.get("__metadata__").and_then(|m| m.get(INPUT_LEVELS)) {
        None => None,
        Some(value) => match value.as_str().and_then(|v| v.parse::<u32>().ok()) {
            Some(levels @ 2..=256) => Some(levels),
            _ => return Err(WeightsError::Corrupt(format!("metadata `{INPUT_LEVELS}` must be a number of grey levels from 2 to 256, not {value}"))),
        },
    };
    Ok(Checked { config, input_levels, tensors })
}

/// Checks a safetensors file completely and returns the architecture it describes. Tensors the
/// network does not use are checked too (type, byte length, scales): every later step, loading
/// and [`convert`], may then rely on each entry.
pub fn inspect(bytes: &[u8]) -> Result<DigitNetConfig, WeightsError> {
    Ok(check(bytes)?.config)
}

/// Builds the network from safetensors bytes, after [`inspect`] has accepted them.
pub fn load(bytes: &[u8], device: &Device) -> Result<DigitNet, WeightsError> {
    Ok(load_trainable(bytes, device)?.valid())
}

/// [`load`], left in training mode on `device` (an autodiff device): to train further.
pub fn load_trainable(bytes: &[u8], device: &Device) -> Result<DigitNet, WeightsError> {
    let Checked { config, input_levels, mut tensors } = check(bytes)?;
    let mut take = |name: &str| {
        let (shape, values) = tensors.remove(name).expect("checked");
        TensorData::new(values, shape)
    };
    let weights = DigitNetWeights {
        conv1_weight: take("conv1.weight"),
        conv1_bias: take("conv1.bias"),
        conv2_weight: take("conv2.weight"),
        conv2_bias: take("conv2.bias"),
        fc1_weight: transposed(take("fc1.weight")),
        fc1_bias: take("fc1.bias"),
        fc2_weight: transposed(take("fc2.weight")),
        fc2_bias: take("fc2.bias"),
    };
    let mut model = config.with_weights(weights, device);
    model.squeeze = InputSqueeze { levels: input_levels, straight_through: false };
    Ok(model)
}

/// The metadata key of a file whose network reads its input rounded to this many grey levels
/// ([`InputSqueeze`]): a defence that travels with the weights, so every tool that loads the
/// file (the CLI, the page) gets the same network. PyTorch ignores it; the README says how to
/// apply it there.
pub const INPUT_LEVELS: &str = "input_levels";

/// The same file, its network behind an [`InputSqueeze`] of `levels` grey levels (`None`: none).
pub fn with_input_levels(bytes: &[u8], levels: Option<u32>) -> Result<Vec<u8>, WeightsError> {
    inspect(bytes)?;
    let (header, data) = parse(bytes)?;
    let mut metadata = header.get("__metadata__").cloned().unwrap_or_else(|| serde_json::json!({}));
    let map = metadata.as_object_mut().expect("checked: a map");
    match levels {
        Some(l) => map.insert(INPUT_LEVELS.into(), l.to_string().into()),
        None => map.remove(INPUT_LEVELS),
    };
    let mut header = header.clone();
    header.insert("__metadata__".into(), metadata);
    let mut json = serde_json::to_vec(&header).expect("a JSON map");
    json.resize(json.len().next_multiple_of(8), b' '); // as `write` pads it
    let mut out = Vec::with_capacity(8 + json.len() + data.len());
    out.extend_from_slice(&(json.len() as u64).to_le_bytes());
    out.extend_from_slice(&json);
    out.extend_from_slice(data);
    inspect(&out)?;
    Ok(out)
}

/// A matrix transposed: PyTorch's `nn.Linear` stores `[out, in]`, burn's `Linear` `[in, out]`.
fn transposed(matrix: TensorData) -> TensorData {
    let [rows, columns] = matrix.shape()[..] else { panic!("a matrix") };
    let values = matrix.as_slice::<f32>().expect("f32 values");
    let flipped = (0..columns * rows).map(|i| values[(i % rows) * columns + i / rows]).collect();
    TensorData::new(flipped, [columns, rows])
}

/// The same weights file with every tensor stored in `precision` (names, shapes, order and
/// metadata kept; values rounded to the nearest representable number, F16 ties to even; under
/// I8, biases stay F32 and each weight gains its `_scale` tensor). Refuses a file [`inspect`]
/// refuses, and a value too large for half precision.
pub fn convert(bytes: &[u8], precision: Precision) -> Result<Vec<u8>, WeightsError> {
    inspect(bytes)?;
    let (header, data) = parse(bytes)?;
    let mut tensors = Vec::new();
    for name in header.keys() {
        if name == "__metadata__" {
            continue;
        }
        // An I8 tensor's scales are part of it: decoded into it, and written anew if need be.
        let scaled = name.strip_suffix(SCALE_SUFFIX).and_then(|base| header.get(base));
        if scaled.is_some_and(|base| base["dtype"] == "I8") {
            continue;
        }
        let (info, values) = tensor_values(&header, data, name)?;
        tensors.push((info.data_offsets, name.clone(), info.shape, values));
    }
    tensors.sort_by_key(|(offsets, ..)| *offsets);
    let tensors = tensors.into_iter().map(|(_, name, shape, values)| (name, shape, values)).collect();
    write(header.get("__metadata__").cloned(), tensors, precision)
}

/// A safetensors file of `tensors` (name, shape, values), in that order, stored in `precision`.
fn write(
    metadata: Option<serde_json::Value>,
    tensors: Vec<(String, Vec<usize>, Vec<f32>)>,
    precision: Precision,
) -> Result<Vec<u8>, WeightsError> {
    let mut header = serde_json::Map::new();
    if let Some(metadata) = metadata {
        header.insert("__metadata__".into(), metadata);
    }
    let mut data = Vec::new();
    let mut add = |header: &mut serde_json::Map<String, serde_json::Value>, name: String, stored: Precision, shape: Vec<usize>, bytes: &[u8]| {
        let begin = data.len();
        data.extend_from_slice(bytes);
        let info = TensorInfo { dtype: stored.name().into(), shape, data_offsets: [begin, data.len()] };
        match header.insert(name.clone(), serde_json::to_value(info).expect("plain data")) {
            None => Ok(()),
            Some(_) => Err(WeightsError::Corrupt(format!("`{name}` would be written twice (a scale of the same name exists)"))),
        }
    };
    for (name, shape, values) in tensors {
        match precision {
            Precision::I8 if shape.len() >= 2 => {
                let (quantized, scales) = quantize(&values, shape[0]);
                let bytes: Vec<u8> = quantized.iter().map(|&q| q as u8).collect();
                let scale_bytes: Vec<u8> = scales.iter().flat_map(|s| s.to_le_bytes()).collect();
                let rows = shape[0];
                add(&mut header, name.clone(), Precision::I8, shape, &bytes)?;
                add(&mut header, format!("{name}{SCALE_SUFFIX}"), Precision::F32, vec![rows], &scale_bytes)?;
            }
            Precision::F32 | Precision::I8 => {
                let bytes: Vec<u8> = values.iter().flat_map(|v| v.to_le_bytes()).collect();
                add(&mut header, name, Precision::F32, shape, &bytes)?;
            }
            Precision::F16 => {
                let mut bytes = Vec::with_capacity(values.len() * 2);
                for (index, &value) in values.iter().enumerate() {
                    let half = f16::from_f32(value);
                    if !half.is_finite() {
                        return Err(WeightsError::OutOfRange { name, index });
                    }
                    bytes.extend_from_slice(&half.to_le_bytes());
                }
                add(&mut header, name, Precision::F16, shape, &bytes)?;
            }
        }
    }
    let mut header_bytes = serde_json::to_vec(&header).expect("plain data");
    // safetensors pads the header with spaces to a multiple of 8 bytes (aligned tensor data).
    header_bytes.resize(header_bytes.len().next_multiple_of(8), b' ');
    let mut out = Vec::with_capacity(8 + header_bytes.len() + data.len());
    out.extend_from_slice(&(header_bytes.len() as u64).to_le_bytes());
    out.extend_from_slice(&header_bytes);
    out.extend_from_slice(&data);
    Ok(out)
}

/// Symmetric per-row 8-bit quantisation of `rows` equal rows: each row's scale (its largest
/// magnitude over 127; 0 for a row of zeros) and each value as the nearest multiple of it.
fn quantize(values: &[f32], rows: usize) -> (Vec<i8>, Vec<f32>) {
    let per_row = values.len().checked_div(rows).unwrap_or(0);
    let scales: Vec<f32> = (0..rows)
        .map(|r| values[r * per_row..(r + 1) * per_row].iter().fold(0f32, |m, v| m.max(v.abs())) / 127.0)
        .collect();
    let quantized = values
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let scale = scales[i / per_row];
            if scale == 0.0 { 0 } else { (v / scale).round().clamp(-127.0, 127.0) as i8 }
        })
        .collect();
    (quantized, scales)
}

/// Serialises the trainable tensors in PyTorch layout, with a description in the metadata.
#[cfg(not(target_arch = "wasm32"))]
pub fn to_bytes(model: &DigitNet, description: &str) -> Vec<u8> {
    crate::attacks::block_on(to_bytes_async(model, description)).expect("a native read-back")
}

/// [`to_bytes`] with asynchronous read-backs, as WebGPU in a browser requires (the reader's own
/// network is saved from the device it was trained on).
pub async fn to_bytes_async(model: &DigitNet, description: &str) -> Result<Vec<u8>, crate::gradients::ComputeError> {
    async fn data<const D: usize>(tensor: Tensor<D>) -> Result<TensorData, crate::gradients::ComputeError> {
        let shape = tensor.dims().to_vec();
        Ok(TensorData::new(crate::gradients::read(tensor).await?, shape))
    }
    let bias = |param: &Option<burn::module::Param<Tensor<1>>>| param.as_ref().expect("every layer has a bias").val();
    let mut tensors = Vec::new();
    for (name, tensor, pytorch) in [
        ("conv1.weight", data(model.block1.conv.weight.val()).await?, false),
        ("conv1.bias", data(bias(&model.block1.conv.bias)).await?, false),
        ("conv2.weight", data(model.block2.conv.weight.val()).await?, false),
        ("conv2.bias", data(bias(&model.block2.conv.bias)).await?, false),
        ("fc1.weight", data(model.fc1.weight.val()).await?, true),
        ("fc1.bias", data(bias(&model.fc1.bias)).await?, false),
        ("fc2.weight", data(model.fc2.weight.val()).await?, true),
        ("fc2.bias", data(bias(&model.fc2.bias)).await?, false),
    ] {
        // burn's linear weights are [in, out]; PyTorch's [out, in].
        let tensor = if pytorch { transposed(tensor) } else { tensor };
        tensors.push((name.to_string(), tensor.shape().to_vec(), tensor.try_to_vec::<f32>().expect("f32 parameters")));
    }
    let metadata = serde_json::json!({ "format": "pt", "description": description });
    Ok(write(Some(metadata), tensors, Precision::F32).expect("F32 cannot overflow"))
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::images_tensor;

    fn device() -> Device {
        Device::flex()
    }

    /// The header of a serialised file, as JSON.
    fn header_of(bytes: &[u8]) -> serde_json::Value {
        serde_json::to_value(parse(bytes).unwrap().0).unwrap()
    }

    /// Where element `index` of tensor `name` (`width` bytes an element) starts in the file.
    fn element_at(bytes: &[u8], name: &str, index: usize, width: usize) -> usize {
        let (header, data) = parse(bytes).unwrap();
        let start = header[name]["data_offsets"][0].as_u64().unwrap() as usize;
        bytes.len() - data.len() + start + index * width
    }

    /// A safetensors file of `header` and `data`.
    fn assemble(header: &BTreeMap<String, serde_json::Value>, data: &[u8]) -> Vec<u8> {
        let json = serde_json::to_vec(header).unwrap();
        [&(json.len() as u64).to_le_bytes()[..], &json, data].concat()
    }

    /// Rewrites one float of an F32 tensor in a serialised file.
    fn poke(bytes: &mut [u8], name: &str, index: usize, value: f32) {
        let at = element_at(bytes, name, index, 4);
        bytes[at..at + 4].copy_from_slice(&value.to_le_bytes());
    }

    #[test]
    fn round_trip_preserves_predictions_and_uses_pytorch_layout() {
        let config = DigitNetConfig::new().with_conv1_channels(4).with_conv2_channels(6).with_hidden(12);
        let model = config.init(&device()).valid();
        let bytes = to_bytes(&model, "test");
        let inspected = inspect(&bytes).unwrap();
        assert_eq!((inspected.conv1_channels, inspected.conv2_channels, inspected.hidden), (4, 6, 12));

        let loaded = load(&bytes, &device()).unwrap();
        let pixels: Vec<f32> = (0..784).map(|i| ((i * 37) % 100) as f32 / 100.0).collect();
        let a = model.forward(images_tensor(&pixels, &device())).into_data().try_to_vec::<f32>().unwrap();
        let b = loaded.forward(images_tensor(&pixels, &device())).into_data().try_to_vec::<f32>().unwrap();
        assert_eq!(a, b);

        // PyTorch's nn.Linear stores [out, in]; burn's Linear stores [in, out].
        let header = header_of(&bytes);
        assert_eq!(header["fc1.weight"]["shape"], serde_json::json!([12, 6 * 49]));
        assert_eq!(header["conv2.weight"]["shape"], serde_json::json!([6, 4, 5, 5]));
        assert_eq!(header.as_object().unwrap().len(), 9, "8 tensors and __metadata__");
    }

    #[test]
    fn half_precision_files_load_and_answer_like_the_full_ones() {
        let model = DigitNetConfig::new().with_hidden(16).init(&device()).valid();
        let full = to_bytes(&model, "test");
        let half = convert(&full, Precision::F16).unwrap();
        assert!(half.len() < full.len() * 6 / 10, "{} vs {} bytes", half.len(), full.len());
        assert_eq!(half, convert(&convert(&half, Precision::F32).unwrap(), Precision::F16).unwrap());
        assert_eq!(inspect(&half).unwrap().hidden, 16);

        let pixels: Vec<f32> = (0..784).map(|i| ((i * 37) % 100) as f32 / 100.0).collect();
        let logits = |bytes: &[u8]| {
            let model = load(bytes, &device()).unwrap();
            model.forward(images_tensor(&pixels, &device())).into_data().try_to_vec::<f32>().unwrap()
        };
        let (a, b) = (logits(&full), logits(&half));
        assert_ne!(a, b, "the weights were rounded");
        for (x, y) in a.iter().zip(&b) {
            assert!((x - y).abs() <= 1e-2 * (1.0 + x.abs()), "{x} vs {y}");
        }
    }

    #[test]
    fn eight_bit_files_hold_each_weight_to_half_a_step_of_its_row() {
        let model = DigitNetConfig::new().with_hidden(16).init(&device()).valid();
        let full = to_bytes(&model, "test");
        let quantized = convert(&full, Precision::I8).unwrap();
        assert!(quantized.len() < full.len() * 3 / 10, "{} vs {} bytes", quantized.len(), full.len());
        let header = header_of(&quantized);
        assert_eq!(header["fc1.weight"]["dtype"], "I8");
        assert_eq!(header["fc1.weight_scale"]["shape"], serde_json::json!([16]));
        assert_eq!(header["conv2.weight_scale"]["shape"], serde_json::json!([32]));
        assert_eq!(header["fc1.bias"]["dtype"], "F32", "biases are kept exact");
        assert_eq!(header.as_object().unwrap().len(), 13, "8 tensors, 4 scales and __metadata__");

        // Every weight within half a step of its original, the step being its row's max / 127.
        let (header, data) = parse(&full).unwrap();
        let (header_q, data_q) = parse(&quantized).unwrap();
        for name in TENSOR_NAMES {
            let (info, original) = tensor_values(&header, data, name).unwrap();
            let (stored, restored) = tensor_values(&header_q, data_q, name).unwrap();
            let shape = info.shape;
            assert_eq!((&shape, stored.dtype.as_str()), (&stored.shape, if shape.len() > 1 { "I8" } else { "F32" }));
            let per_row = original.len() / shape[0];
            for (row, (a, b)) in original.chunks(per_row).zip(restored.chunks(per_row)).enumerate() {
                let step = a.iter().fold(0f32, |m, v| m.max(v.abs())) / 127.0;
                let worst = a.iter().zip(b).map(|(x, y)| (x - y).abs()).fold(0f32, f32::max);
                assert!(worst <= step * 0.5001, "{name} row {row}: moved by {worst}, step {step}");
                if shape.len() == 1 {
                    assert_eq!(a, b);
                }
            }
        }
        // Converting back and forth gives the same network; the loader reads all three.
        let back = convert(&convert(&quantized, Precision::F32).unwrap(), Precision::I8).unwrap();
        let pixels: Vec<f32> = (0..784).map(|i| ((i * 37) % 100) as f32 / 100.0).collect();
        let logits = |bytes: &[u8]| {
            let model = load(bytes, &device()).unwrap();
            model.forward(images_tensor(&pixels, &device())).into_data().try_to_vec::<f32>().unwrap()
        };
        for (x, y) in logits(&quantized).iter().zip(logits(&back)) {
            assert!((x - y).abs() <= 1e-5 * (1.0 + x.abs()), "{x} vs {y}");
        }
        for (x, y) in logits(&full).iter().zip(logits(&quantized)) {
            assert!((x - y).abs() <= 5e-2 * (1.0 + x.abs()), "{x} vs {y}");
        }
    }

    #[test]
    fn eight_bit_tensors_need_a_finite_scale_per_row() {
        let model = DigitNetConfig::new().with_hidden(8).init(&device()).valid();
        let quantized = convert(&to_bytes(&model, "test"), Precision::I8).unwrap();
        let (header, data) = parse(&quantized).unwrap();
        // No scale (its bytes now an unrelated tensor's): its own error, before anything is built.
        let mut missing = header.clone();
        let scale = missing.remove("fc2.weight_scale").unwrap();
        let [start, end] = [0, 1].map(|i| scale["data_offsets"][i].as_u64().unwrap() as usize);
        assert_eq!(end - start, 40);
        missing.insert("unused".into(), serde_json::json!({"dtype": "F32", "shape": [10], "data_offsets": [start, end]}));
        assert_eq!(inspect(&assemble(&missing, data)).unwrap_err(), WeightsError::Missing("fc2.weight_scale".into()));
        // A scale per element instead of per row, or scales of the wrong type.
        let mut wrong = header.clone();
        wrong.insert("fc2.weight_scale".into(), serde_json::json!({"dtype": "F32", "shape": [5, 2], "data_offsets": [start, end]}));
        assert!(matches!(inspect(&assemble(&wrong, data)).unwrap_err(), WeightsError::Shape { name, .. } if name == "fc2.weight_scale"));
        wrong.insert("fc2.weight_scale".into(), serde_json::json!({"dtype": "I8", "shape": [10], "data_offsets": [start, start + 10]}));
        assert_eq!(
            inspect(&assemble(&wrong, data)).unwrap_err(),
            WeightsError::DType { name: "fc2.weight_scale".into(), dtype: "I8".into() }
        );
        // A NaN scale spoils its whole row: refused like a NaN weight.
        let mut poisoned = data.to_vec();
        poisoned[start + 4 * 3..start + 4 * 4].copy_from_slice(&f32::NAN.to_le_bytes());
        assert_eq!(
            load(&assemble(&header, &poisoned), &device()).unwrap_err(),
            WeightsError::NotFinite { name: "fc2.weight".into(), index: 3 * 8 }
        );
    }

    /// `bytes` with one more tensor, `name`, of `dtype` and `shape`, holding `values`.
    fn with_extra_tensor(bytes: &[u8], name: &str, dtype: &str, shape: &[usize], values: &[u8]) -> Vec<u8> {
        let (mut header, data) = parse(bytes).unwrap();
        let end = data.len();
        header.insert(name.into(), serde_json::json!({"dtype": dtype, "shape": shape, "data_offsets": [end, end + values.len()]}));
        assemble(&header, &[data, values].concat())
    }

    #[test]
    fn extra_tensors_are_checked_before_loading_and_converting() {
        let model = DigitNetConfig::new().with_hidden(8).init(&device()).valid();
        let bytes = to_bytes(&model, "test");
        // An extra tensor in a precision this crate does not read: an error, not a panic.
        let odd = with_extra_tensor(&bytes, "extra", "I64", &[1], &[0; 8]);
        let refused = WeightsError::DType { name: "extra".into(), dtype: "I64".into() };
        assert_eq!(inspect(&odd).unwrap_err(), refused);
        assert_eq!(load(&odd, &device()).unwrap_err(), refused);
        assert_eq!(convert(&odd, Precision::F16).unwrap_err(), refused);
        // One whose shape does not match its bytes.
        let short = with_extra_tensor(&bytes, "extra", "F32", &[3], &[0; 8]);
        assert!(matches!(inspect(&short).unwrap_err(), WeightsError::Corrupt(_)));
        assert!(matches!(load(&short, &device()).unwrap_err(), WeightsError::Corrupt(_)));
        // A well-formed one is carried over, converted like the others.
        let fine = with_extra_tensor(&bytes, "extra", "F32", &[2], &[0; 8]);
        assert!(load(&fine, &device()).is_ok());
        let half = convert(&fine, Precision::F16).unwrap();
        assert_eq!(header_of(&half)["extra"]["dtype"], "F16");
    }

    #[test]
    fn refuses_weights_too_large_for_half_precision() {
        let model = DigitNetConfig::new().with_hidden(8).init(&device()).valid();
        let mut bytes = to_bytes(&model, "test");
        poke(&mut bytes, "fc1.weight", 5, 1e6);
        assert_eq!(
            convert(&bytes, Precision::F16).unwrap_err(),
            WeightsError::OutOfRange { name: "fc1.weight".into(), index: 5 }
        );
    }

    #[test]
    fn refuses_nan_in_half_precision_files() {
        let model = DigitNetConfig::new().with_hidden(8).init(&device()).valid();
        let mut half = convert(&to_bytes(&model, "test"), Precision::F16).unwrap();
        assert_eq!(header_of(&half)["conv1.bias"]["dtype"], "F16");
        let at = element_at(&half, "conv1.bias", 2, 2);
        half[at..at + 2].copy_from_slice(&f16::NAN.to_le_bytes());
        assert_eq!(load(&half, &device()).unwrap_err(), WeightsError::NotFinite { name: "conv1.bias".into(), index: 2 });
    }

    #[test]
    fn refuses_nan_weights() {
        let model = DigitNetConfig::new().with_hidden(8).init(&device()).valid();
        let mut bytes = to_bytes(&model, "test");
        poke(&mut bytes, "fc2.bias", 3, f32::NAN);
        assert_eq!(
            load(&bytes, &device()).unwrap_err(),
            WeightsError::NotFinite { name: "fc2.bias".into(), index: 3 }
        );
    }

    #[test]
    fn refuses_damaged_files() {
        let model = DigitNetConfig::new().with_hidden(8).init(&device()).valid();
        let bytes = to_bytes(&model, "test");
        assert!(matches!(inspect(&bytes[..bytes.len() - 10]), Err(WeightsError::Corrupt(_))));
        assert!(matches!(inspect(b"<html>not found</html>"), Err(WeightsError::Corrupt(_))));
        assert!(matches!(inspect(&[]), Err(WeightsError::Corrupt(_))));
        let mut huge = bytes.clone();
        huge[..8].copy_from_slice(&u64::MAX.to_le_bytes());
        assert!(matches!(inspect(&huge), Err(WeightsError::Corrupt(_))));
    }
}
