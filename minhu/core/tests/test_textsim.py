"""Chinese text similarity on a fixed labelled set: paraphrases of one matter are suggested, unrelated
matters are not. Precision and recall are printed (pytest -s) and held to a floor; the docstring of
minhu.core.textsim says how the threshold trades one for the other."""

from __future__ import annotations

from minhu.core.textsim import SUGGEST_THRESHOLD, Corpus, normalise, similarity

# (group, text): texts of the same group are paraphrases of one matter.
LABELLED = [
    ("charging", "小区电动车充电难，很多人从楼上拉电线下来充电，太危险了"),
    ("charging", "电动自行车没地方充电，有人在家里充电，担心起火"),
    ("charging", "希望小区安装电动车充电桩，现在充电很不方便"),
    ("charging", "5栋有人飞线给电瓶车充电，存在安全隐患"),
    ("sanitation", "3号楼后面的卫生死角垃圾堆了好几天没人清理，臭气熏天"),
    ("sanitation", "楼后垃圾长期无人清运，气味很大，蚊蝇很多"),
    ("sanitation", "小区卫生保洁不到位，角落里垃圾没人打扫"),
    ("streetlight", "村口的路灯坏了一个多月，晚上出行很不安全"),
    ("streetlight", "进村道路路灯不亮，夜里看不清路"),
    ("water", "今天早上开始停水，也没有提前通知，什么时候恢复供水"),
    ("water", "家里突然没水了，请问是停水了吗，什么时候来水"),
    ("noise", "楼下广场舞音响声音太大，晚上十点还在跳，影响休息"),
    ("noise", "广场舞噪音扰民，老人孩子晚上都睡不好"),
    ("snow", "大棚积雪太厚，担心压塌，需要人手帮忙清雪"),
    ("snow", "下大雪了，田间路被雪封住，车进不去，大棚的雪也要清理"),
    ("dog", "邻居家的狗不拴绳，在小区里乱跑还咬人"),
    ("parking", "消防通道被私家车占用，出了事消防车进不来"),
    ("library", "想问一下社区图书室周末开不开放，可以借书吗"),
]


def evaluate(threshold: float) -> tuple[float, float]:
    texts = [t for _, t in LABELLED]
    tp = fp = fn = 0
    for i, (group, text) in enumerate(LABELLED):
        others = [t for j, t in enumerate(texts) if j != i]
        groups = [g for j, (g, _) in enumerate(LABELLED) if j != i]
        hits = {m.index for m in Corpus(others).similar(text, threshold=threshold, limit=10)}
        relevant = {j for j, g in enumerate(groups) if g == group}
        tp += len(hits & relevant)
        fp += len(hits - relevant)
        fn += len(relevant - hits)
    return tp / ((tp + fp) or 1), tp / ((tp + fn) or 1)


def test_precision_and_recall_on_the_labelled_set() -> None:
    precision, recall = evaluate(threshold=SUGGEST_THRESHOLD)
    print(f"\ntext similarity at {SUGGEST_THRESHOLD}: precision {precision:.2f}, recall {recall:.2f}")
    assert precision >= 0.95
    assert recall >= 0.65


def test_paraphrase_scores_higher_than_an_unrelated_matter() -> None:
    corpus = [t for _, t in LABELLED]
    same = similarity("电动车充电太难了，楼道里飞线充电很危险", LABELLED[0][1], corpus)
    other = similarity("电动车充电太难了，楼道里飞线充电很危险", LABELLED[4][1], corpus)
    assert same > 0.2 > other


def test_normalise_folds_width_case_punctuation_and_filler() -> None:
    assert normalise("你好！ＡＢＣ１２３，请问停水了吗？") == "abc123 停水了吗"


def test_empty_corpus_and_empty_text_are_harmless() -> None:
    assert Corpus([]).similar("停水") == []
    assert Corpus(["停水了"]).similar("") == []
