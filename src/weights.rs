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
//! Tensors are stored as `F32`, or as `F16` (half the download; see [`convert`]), and
//! always computed in `f32`. The widths `c1`, `c2` and `h` are read from the file, so a wider or
//! narrower network of the same shape loads without code changes. Every file is checked before
//! any tensor is created: a truncated file, a missing tensor or a single NaN gives a clear
//! [`WeightsError`] instead of a network that answers nonsense.

use std::collections::BTreeMap;
use std::fmt;

use burn::prelude::*;
use burn::tensor::f16;
use burn::store::{BurnToPyTorchAdapter, ModuleSnapshot, PyTorchToBurnAdapter, SafetensorsStore};

use crate::model::{CLASSES, DigitNet, DigitNetConfig, IMAGE_SIDE};

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

/// Why a weights file was refused.
#[derive(Debug, Clone, PartialEq)]
pub enum WeightsError {
    /// Not a safetensors file, or a damaged one.
    Corrupt(String),
    /// A tensor the network needs is absent.
    Missing(String),
    /// A tensor has a shape that does not fit the architecture.
    Shape { name: String, shape: Vec<usize>, expected: String },
    /// A tensor is stored in another precision than F32 or F16.
    DType { name: String, dtype: String },
    /// A value does not fit the precision it is being converted to.
    OutOfRange { name: String, index: usize },
    /// A tensor holds NaN or infinity.
    NotFinite { name: String, index: usize },
    /// burn refused the tensors.
    Load(String),
}

impl fmt::Display for WeightsError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Self::Corrupt(why) => write!(f, "the weights file is damaged: {why}"),
            Self::Missing(name) => write!(f, "the weights file has no tensor `{name}`"),
            Self::Shape { name, shape, expected } => {
                write!(f, "tensor `{name}` has shape {shape:?}, expected {expected}")
            }
            Self::DType { name, dtype } => write!(f, "tensor `{name}` is {dtype}, expected F32 or F16"),
            Self::OutOfRange { name, index } => {
                write!(f, "tensor `{name}` element {index} is too large for half precision")
            }
            Self::NotFinite { name, index } => write!(
                f,
                "tensor `{name}` holds NaN or infinity (element {index}): the weights are unusable"
            ),
            Self::Load(why) => write!(f, "the weights could not be loaded: {why}"),
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

/// What every safetensors reader (burn's among them) demands beyond the tensors themselves:
/// metadata that maps names to strings, and tensor data that tiles the data section exactly,
/// with no overlap, gap or trailing byte. Checked here so that a file `inspect` accepts loads.
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
}

impl Precision {
    fn of(dtype: &str) -> Option<Self> {
        match dtype {
            "F32" => Some(Self::F32),
            "F16" => Some(Self::F16),
            _ => None,
        }
    }

    fn bytes(self) -> usize {
        match self {
            Self::F32 => 4,
            Self::F16 => 2,
        }
    }

    fn name(self) -> &'static str {
        match self {
            Self::F32 => "F32",
            Self::F16 => "F16",
        }
    }

    /// The stored numbers (little-endian), as `f32`.
    fn decode(self, bytes: &[u8]) -> impl Iterator<Item = f32> + '_ {
        bytes.chunks_exact(self.bytes()).map(move |c| match self {
            Self::F32 => f32::from_le_bytes(c.try_into().unwrap()),
            Self::F16 => f16::from_le_bytes(c.try_into().unwrap()).to_f32(),
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

/// One tensor's header entry, checked against the data section: stored in a precision this crate
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

/// Checks a safetensors file completely and returns the architecture it describes. Tensors the
/// network does not use are checked too (precision and byte length): every later step, loading
/// and [`convert`], may then rely on each entry.
pub fn inspect(bytes: &[u8]) -> Result<DigitNetConfig, WeightsError> {
    let (header, data) = parse(bytes)?;

    let mut shapes = BTreeMap::new();
    for name in TENSOR_NAMES {
        let value = header.get(name).ok_or_else(|| WeightsError::Missing(name.into()))?;
        let (info, precision, values) = tensor_entry(name, value, data)?;
        if let Some(index) = precision.decode(values).position(|v| !v.is_finite()) {
            return Err(WeightsError::NotFinite { name: name.into(), index });
        }
        shapes.insert(name, info.shape);
    }
    for (name, value) in &header {
        if name != "__metadata__" && !TENSOR_NAMES.contains(&name.as_str()) {
            tensor_entry(name, value, data)?;
        }
    }
    check_layout(&header, data.len())?;

    // The widths are the first dimensions; a tensor of rank 0 has none and fails the shape check.
    let width = |name: &str| shapes[name].first().copied().unwrap_or(0);
    let (c1, c2, hidden) = (width("conv1.weight"), width("conv2.weight"), width("fc1.weight"));
    for (name, width) in [("conv1.weight", c1), ("conv2.weight", c2), ("fc1.weight", hidden)] {
        if width == 0 {
            return Err(WeightsError::Shape {
                name: name.into(),
                shape: shapes[name].clone(),
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
        if shapes[name] != want {
            return Err(WeightsError::Shape {
                name: name.into(),
                shape: shapes[name].clone(),
                expected: format!("{want:?}"),
            });
        }
    }
    Ok(DigitNetConfig::new()
        .with_conv1_channels(c1)
        .with_conv2_channels(c2)
        .with_hidden(hidden))
}

/// Builds the network from safetensors bytes, after [`inspect`] has accepted them.
pub fn load(bytes: &[u8], device: &Device) -> Result<DigitNet, WeightsError> {
    Ok(load_trainable(bytes, device)?.valid())
}

/// [`load`], left in training mode on `device` (an autodiff device): to train further.
pub fn load_trainable(bytes: &[u8], device: &Device) -> Result<DigitNet, WeightsError> {
    let config = inspect(bytes)?;
    let mut model = config.init(device);
    let mut store = SafetensorsStore::from_bytes(Some(convert_inspected(bytes, Precision::F32)?))
        .with_from_adapter(PyTorchToBurnAdapter)
        .allow_partial(true);
    let result = model.load_from(&mut store).map_err(|e| WeightsError::Load(e.to_string()))?;
    if !result.errors.is_empty() {
        return Err(WeightsError::Load(format!("{:?}", result.errors)));
    }
    Ok(model)
}

/// The same weights file with every tensor stored in `precision` (names, shapes, order and
/// metadata kept; values rounded to the nearest representable number, ties to even). Refuses a
/// file [`inspect`] refuses, and a value too large for half precision.
pub fn convert(bytes: &[u8], precision: Precision) -> Result<Vec<u8>, WeightsError> {
    inspect(bytes)?;
    convert_inspected(bytes, precision)
}

fn convert_inspected(bytes: &[u8], precision: Precision) -> Result<Vec<u8>, WeightsError> {
    let (header, data) = parse(bytes)?;
    let mut tensors = Vec::new();
    for (name, value) in &header {
        if name != "__metadata__" {
            let (info, stored, values) = tensor_entry(name, value, data)?;
            tensors.push((name, info, stored, values));
        }
    }
    tensors.sort_by_key(|(_, info, ..)| info.data_offsets);

    let mut out_header = serde_json::Map::new();
    if let Some(metadata) = header.get("__metadata__") {
        out_header.insert("__metadata__".into(), metadata.clone());
    }
    let mut out_data = Vec::new();
    for (name, info, stored, values) in tensors {
        let begin = out_data.len();
        for (index, value) in stored.decode(values).enumerate() {
            match precision {
                Precision::F32 => out_data.extend_from_slice(&value.to_le_bytes()),
                Precision::F16 => {
                    let half = f16::from_f32(value);
                    if !half.is_finite() {
                        return Err(WeightsError::OutOfRange { name: name.clone(), index });
                    }
                    out_data.extend_from_slice(&half.to_le_bytes());
                }
            }
        }
        let info = TensorInfo { dtype: precision.name().into(), shape: info.shape, data_offsets: [begin, out_data.len()] };
        out_header.insert(name.clone(), serde_json::to_value(info).expect("plain data"));
    }
    let mut header_bytes = serde_json::to_vec(&out_header).expect("plain data");
    // safetensors pads the header with spaces to a multiple of 8 bytes (aligned tensor data).
    header_bytes.resize(header_bytes.len().next_multiple_of(8), b' ');
    let mut out = Vec::with_capacity(8 + header_bytes.len() + out_data.len());
    out.extend_from_slice(&(header_bytes.len() as u64).to_le_bytes());
    out.extend_from_slice(&header_bytes);
    out.extend_from_slice(&out_data);
    Ok(out)
}

/// Serialises the trainable tensors in PyTorch layout, with a description in the metadata.
pub fn to_bytes(model: &DigitNet, description: &str) -> Vec<u8> {
    let mut store = SafetensorsStore::from_bytes(None)
        .with_regex(r"^(conv|fc)[12]\.(weight|bias)$")
        .with_to_adapter(BurnToPyTorchAdapter)
        .metadata("format", "pt")
        .metadata("description", description);
    model.save_into(&mut store).expect("an in-memory save cannot fail");
    store.get_bytes().expect("the store was just written")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::images_tensor;

    fn device() -> Device {
        Device::flex()
    }

    /// Rewrites one float of a tensor in a serialised file.
    fn poke(bytes: &mut [u8], name: &str, index: usize, value: f32) {
        let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        let header: BTreeMap<String, serde_json::Value> =
            serde_json::from_slice(&bytes[8..8 + header_len]).unwrap();
        let start = header[name]["data_offsets"][0].as_u64().unwrap() as usize;
        let at = 8 + header_len + start + index * 4;
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
        let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        let header: serde_json::Value = serde_json::from_slice(&bytes[8..8 + header_len]).unwrap();
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

    /// `bytes` with one more tensor, `name`, of `dtype` and `shape`, holding `data`.
    fn with_extra_tensor(bytes: &[u8], name: &str, dtype: &str, shape: &[usize], data: &[u8]) -> Vec<u8> {
        let header_len = u64::from_le_bytes(bytes[..8].try_into().unwrap()) as usize;
        let mut header: serde_json::Map<String, serde_json::Value> =
            serde_json::from_slice(&bytes[8..8 + header_len]).unwrap();
        let end = bytes.len() - 8 - header_len;
        header.insert(name.into(), serde_json::json!({"dtype": dtype, "shape": shape, "data_offsets": [end, end + data.len()]}));
        let header = serde_json::to_vec(&header).unwrap();
        let mut out = (header.len() as u64).to_le_bytes().to_vec();
        out.extend_from_slice(&header);
        out.extend_from_slice(&bytes[8 + header_len..]);
        out.extend_from_slice(data);
        out
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
        let header_len = u64::from_le_bytes(half[..8].try_into().unwrap()) as usize;
        let header: serde_json::Value = serde_json::from_slice(&half[8..8 + header_len]).unwrap();
        assert_eq!(header["extra"]["dtype"], "F16");
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
        let header_len = u64::from_le_bytes(half[..8].try_into().unwrap()) as usize;
        let header: serde_json::Value = serde_json::from_slice(&half[8..8 + header_len]).unwrap();
        assert_eq!(header["conv1.bias"]["dtype"], "F16");
        let at = 8 + header_len + header["conv1.bias"]["data_offsets"][0].as_u64().unwrap() as usize + 2 * 2;
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
