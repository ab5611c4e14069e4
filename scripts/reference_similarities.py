#!/usr/bin/env python3
"""Reference relevance scores for the scorer crate, computed with sentence-transformers itself.

Writes scorer/tests/data/reference_similarities.json: text pairs, the cosine similarity that
sentence-transformers gives each pair with all-MiniLM-L6-v2 (the paper's scorer), the number of
word-pieces of each text before truncation, the sha256 of the model.safetensors used and the
versions of sentence-transformers, transformers, tokenizers and torch. scorer/tests/reference.rs
requires the Rust scorer (candle + tokenizers) to agree with every value within 1e-3.

The pairs cover what the collector will score: identical texts, paraphrases, unrelated texts,
step-by-step math answers as an LLM writes them, texts longer than the 256 word-piece window
(truncation), non-ASCII text (accents, Greek, CJK, emoji), the empty string, whitespace and
punctuation oddities.

To re-run (sentence-transformers needs torch, kept out of the test environment; PyPI's torch
wheel brings NVIDIA libraries, about 6 GB with them, but runs on the CPU):

    bash scripts/fetch-models.sh        # extracts ~/.cache/edgebench/models/all-MiniLM-L6-v2
    python3 -m venv ~/.cache/edgebench/st-venv
    ~/.cache/edgebench/st-venv/bin/pip install sentence-transformers
    ~/.cache/edgebench/st-venv/bin/python scripts/reference_similarities.py [MODEL_DIR]

MODEL_DIR defaults to $EDGEBENCH_MODELS/all-MiniLM-L6-v2, else
~/.cache/edgebench/models/all-MiniLM-L6-v2. Run from anywhere; the output path is relative to this
script. The output is deterministic for given versions: re-running with the same ones changes
nothing but, possibly, the last digits.
"""

import hashlib
import json
import os
import platform
import sys
from pathlib import Path

MAX_SEQ_LENGTH = 256


def long_math_solution(steps):
    """A step-by-step answer as an LLM writes it: numbered steps, '=', '$', line breaks."""
    lines = ["Let's work through this carefully, one purchase at a time.", ""]
    total = 0
    for k in range(1, steps + 1):
        price = 3 * k + 7
        qty = k % 4 + 1
        cost = price * qty
        total += cost
        lines.append(
            f"Step {k}: The shop sells item number {k} for ${price} each, and we buy {qty} of them, "
            f"so that costs {qty} × ${price} = ${cost}. The running total is now ${total}."
        )
    lines += ["", f"Therefore the total amount spent is ${total}.", "", f"**Answer: ${total}**"]
    return "\n".join(lines)


RAILWAY_SENTENCES = [
    "The first public railways carried coal from the mines to the rivers and harbours.",
    "Engineers argued for years about the best width between the rails, the gauge.",
    "Steam locomotives needed water every few miles, so towns grew around the water towers.",
    "Timetables forced whole countries to agree on a standard time for the first time.",
    "Passengers in the early carriages sat on wooden benches exposed to smoke and rain.",
    "Bridges and tunnels built for the lines remain some of the boldest works of the century.",
    "Goods that once took weeks by canal boat now arrived in a day, and prices fell.",
    "Railway companies raised enormous sums from small investors, and some collapsed in scandal.",
    "Signalling began with men holding flags and lamps and became a system of interlocked levers.",
    "Electric and diesel traction later replaced steam on most main lines.",
]

COOKING_SENTENCES = [
    "Bread dough needs time to rise in a warm kitchen before it goes into the oven.",
    "A good stock simmers slowly for hours with bones, onions, carrots and celery.",
    "Salt should be added to pasta water generously, just before the pasta goes in.",
    "Caramelising onions properly takes far longer than most recipes admit.",
    "Fresh herbs are best added at the end, while dried herbs go in early.",
    "A sharp knife is safer than a blunt one because it does not slip on the skin of a tomato.",
    "Resting meat after roasting lets the juices settle back into the fibres.",
    "Rice cooked by absorption needs a tight lid and no stirring.",
    "Emulsions such as mayonnaise break when the oil is poured in too quickly.",
    "Tasting while cooking is the single habit that improves food the most.",
]


def essay(title, sentences, words):
    """A long essay from distinct sentences, cycled in numbered sections until `words` long."""
    parts = [title + "."]
    k = 0
    while len(" ".join(parts).split()) < words:
        section, i = divmod(k, len(sentences))
        prefix = f"Section {section + 1}. " if i == 0 else ""
        parts.append(prefix + sentences[i])
        k += 1
    return " ".join(parts)


def pairs():
    math_long = long_math_solution(60)
    railways = essay("A short history of the railways", RAILWAY_SENTENCES, 650)
    cooking = essay("Notes from a home kitchen", COOKING_SENTENCES, 650)
    head = " ".join(math_long.split()[:300])
    gsm_question_ref = (
        "Natalia sold 48/2 = <<48/2=24>>24 clips in May.\n"
        "Natalia sold 48+24 = <<48+24=72>>72 clips altogether in April and May.\n#### 72"
    )
    return [
        # id, what it covers, a, b
        ("identical-sentence", "identical", "The capital of France is Paris.", "The capital of France is Paris."),
        ("identical-math", "identical, multi-line math", gsm_question_ref, gsm_question_ref),
        ("paraphrase-cat", "paraphrase", "The cat sat on the mat.", "A cat was sitting on the rug."),
        ("paraphrase-password", "paraphrase", "How do I reset my password?",
         "What are the steps to change my password?"),
        ("paraphrase-boiling", "paraphrase, units", "Water boils at 100 degrees Celsius at sea level.",
         "At sea level, the boiling point of water is 100 °C."),
        ("unrelated-news", "unrelated", "The stock market fell sharply today.",
         "Penguins live in the Southern Hemisphere."),
        ("unrelated-code", "unrelated, code", "def add(a, b): return a + b",
         "Mozart composed his first symphony at the age of eight."),
        ("math-gsm8k-steps", "step-by-step math answer vs GSM8K reference", gsm_question_ref,
         "Let's solve this step by step.\n1. In April, Natalia sold 48 clips.\n"
         "2. In May she sold half as many: 48 / 2 = 24 clips.\n3. Total = 48 + 24 = 72.\n\n"
         "The answer is **72**."),
        ("math-dollars", "math with $", "Weng earns 12/60 = $<<12/60=0.2>>0.2 per minute.\n"
         "Working 50 minutes, she earned 0.2 x 50 = $<<0.2*50=10>>10.\n#### 10",
         "$12 per hour ÷ 60 = $0.20 per minute\n$0.20 × 50 minutes = $10.00\n\nAnswer: $10"),
        ("math-wrong-answer", "math, wrong result", gsm_question_ref,
         "In May she sold 48 × 2 = 96 clips, so altogether 48 + 96 = 144 clips.\nThe answer is 144."),
        ("math-latex", "LaTeX vs words", "$\\frac{3}{4} \\times 8 = 6$",
         "Three quarters of eight is six."),
        ("long-math-vs-short-answer", "long (truncated) vs short", math_long,
         "The total amount spent is the sum of the cost of every item bought."),
        ("long-essay-vs-summary", "long (truncated) vs its summary", railways,
         "Railways changed trade, time-keeping and engineering in the nineteenth century."),
        ("long-essay-vs-unrelated", "long (truncated) vs unrelated short", railways,
         "Add the butter to the flour and rub it in with your fingertips."),
        ("long-vs-long-topics", "long vs long, different topics", railways, cooking),
        ("long-shared-head", "two long texts, same first 300 words, different tails (truncation: ≈1)",
         head + " " + railways, head + " " + cooking),
        ("accents", "accents", "Le café est très chaud ce matin, dit la naïve héroïne.",
         "Das Café ist heute Morgen sehr heiß, sagt die naive Heldin."),
        ("greek", "Greek vs English", "Η Αθήνα είναι η πρωτεύουσα της Ελλάδας.",
         "Athens is the capital of Greece."),
        ("chinese", "CJK vs English", "东京是日本的首都。", "Tokyo is the capital of Japan."),
        ("japanese-korean", "Japanese vs Korean", "私は猫が好きです。", "저는 고양이를 좋아해요."),
        ("emoji-sentence", "emoji in text", "I love pizza 🍕🍕!", "Pizza is my favourite food 😋"),
        ("emoji-only", "emoji only", "🚀🔥💯", "🎉"),
        ("empty-vs-text", "empty string", "", "Paris is the capital of France."),
        ("empty-vs-empty", "empty strings", "", ""),
        ("whitespace-vs-empty", "whitespace only", "   \n\t  \r\n ", ""),
        ("punctuation", "repeated punctuation", "Hello,,, world!!! ... ???", "hello world"),
        ("case-and-spacing", "case, tabs, runs of spaces", "THE  QUICK   BROWN\tFOX", "the quick brown fox"),
        ("invisible-characters", "zero-width space, no-break space, control character",
         "zero\u200bwidth and\u00a0no-break\u0007 spaces", "zero width and no-break spaces"),
        ("markdown-code", "markdown code block", "```python\nprint('hi')\n```",
         "Use the print function to output text in Python."),
        ("overlong-word", "a word over 100 characters ([UNK])", "a" * 150, "aaaa"),
        ("mixed-script", "mixed scripts and superscripts", "The formula E = mc² relates énergie and mass (質量).",
         "Energy equals mass times the speed of light squared."),
    ]


def sha256_file(path):
    with open(path, "rb") as f:
        return hashlib.file_digest(f, "sha256").hexdigest()


def main():
    import sentence_transformers
    import tokenizers
    import torch
    import transformers
    from sentence_transformers import SentenceTransformer, util

    if len(sys.argv) > 1:
        model_dir = Path(sys.argv[1])
    elif os.environ.get("EDGEBENCH_MODELS"):
        model_dir = Path(os.environ["EDGEBENCH_MODELS"]) / "all-MiniLM-L6-v2"
    else:
        model_dir = Path.home() / ".cache/edgebench/models/all-MiniLM-L6-v2"
    if not (model_dir / "model.safetensors").is_file():
        sys.exit(f"reference_similarities: {model_dir}/model.safetensors is missing: run bash scripts/fetch-models.sh")

    torch.manual_seed(0)
    model = SentenceTransformer(str(model_dir), device="cpu")
    model.eval()
    assert model.max_seq_length == MAX_SEQ_LENGTH, model.max_seq_length

    rows = []
    tokenizer = model.tokenizer
    for pid, covers, a, b in pairs():
        emb = model.encode([a, b], convert_to_tensor=True, batch_size=32)
        sim = float(util.cos_sim(emb[0:1], emb[1:2])[0][0])
        n_a, n_b = (len(tokenizer(t, add_special_tokens=True)["input_ids"]) for t in (a, b))
        rows.append({"id": pid, "covers": covers, "a": a, "b": b,
                     "word_pieces_a": n_a, "word_pieces_b": n_b, "similarity": sim})

    ids = [r["id"] for r in rows]
    assert len(set(ids)) == len(ids), "pair ids must be unique"
    assert any(max(r["word_pieces_a"], r["word_pieces_b"]) > 2 * MAX_SEQ_LENGTH for r in rows), \
        "some texts must be far longer than the window"

    out = {
        "generated_by": "scripts/reference_similarities.py",
        "model": "sentence-transformers/all-MiniLM-L6-v2",
        "model_safetensors_sha256": sha256_file(model_dir / "model.safetensors"),
        "max_seq_length": model.max_seq_length,
        "similarity": "sentence_transformers.util.cos_sim of SentenceTransformer.encode (mean pooling, Normalize)",
        "word_pieces": "tokens of the text before truncation, [CLS] and [SEP] included",
        "versions": {
            "sentence_transformers": sentence_transformers.__version__,
            "transformers": transformers.__version__,
            "tokenizers": tokenizers.__version__,
            "torch": torch.__version__,
            "python": platform.python_version(),
        },
        "pairs": rows,
    }
    path = Path(__file__).resolve().parent.parent / "scorer/tests/data/reference_similarities.json"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(out, indent=1, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"wrote {len(rows)} pairs to {path}")


if __name__ == "__main__":
    main()
