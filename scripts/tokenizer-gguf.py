"""Writes a GGUF that holds only the tokenizer of another GGUF (its `tokenizer.*` keys and its
architecture, no tensors): a few MB that `collect synth --tokenizer-from` reads like the whole
model, for machines the real model files cannot be carried to (scripts/device-synth.sh).

    python scripts/tokenizer-gguf.py MODEL.gguf OUT.tokenizer.gguf

Needs the `gguf` package (llama.cpp's Python reader and writer, on PyPI:
`pip install gguf`). The tokenizer keys written are the source's, value for value; a synthetic
model made from either file has the same tokenizer, and its generator string names the file.
"""
import sys, gguf
src, dst = sys.argv[1], sys.argv[2]
r = gguf.GGUFReader(src)
arch = r.fields["general.architecture"].contents()
w = gguf.GGUFWriter(dst, arch)
for name, f in r.fields.items():
    if not name.startswith("tokenizer."):
        continue
    vtype = f.types[0]
    val = f.contents()
    if vtype == gguf.GGUFValueType.ARRAY:
        w.add_key_value(name, val, vtype, sub_type=f.types[-1])
    else:
        w.add_key_value(name, val, vtype)
w.write_header_to_file(); w.write_kv_data_to_file(); w.write_tensors_to_file(); w.close()
