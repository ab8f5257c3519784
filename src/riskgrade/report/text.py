"""Wording of the HTML report in Chinese and English (``{key: {"zh": ..., "en": ...}}``)."""

from __future__ import annotations

__all__ = ["TEXT"]

TEXT: dict[str, dict[str, str]] = {
    "title": {"zh": "廉政风险等级评定报告", "en": "Integrity risk grading report"},
    "subtitle": {
        "zh": "提交领导班子集体审定",
        "en": "For approval by the leadership group",
    },
    "generated": {"zh": "报告生成时间", "en": "Report generated"},
    "method": {"zh": "评定方法", "en": "Methodology"},
    "kpi_points": {"zh": "风险点", "en": "risk points"},
    "kpi_units": {"zh": "单位", "en": "units"},
    "kpi_demoted": {"zh": "因限额降级", "en": "demoted by the quota"},
    "kpi_rejected": {"zh": "未通过校验", "en": "rejected by validation"},
    "toc": {"zh": "目录", "en": "Contents"},
    # sections
    "sec_summary": {"zh": "一、各单位评定汇总", "en": "1. Summary per unit"},
    "sec_level_one": {"zh": "二、一级风险点清单", "en": "2. Level-one risk points"},
    "sec_changes": {"zh": "三、限额降级与人工调整", "en": "3. Quota demotions and overrides"},
    "sec_uncertain": {"zh": "四、等级不确定的风险点", "en": "4. Points whose level is uncertain"},
    "sec_weights": {"zh": "五、权重及其确定方法", "en": "5. Weights and how they were obtained"},
    "sec_provenance": {"zh": "六、数据来源与可复现信息", "en": "6. Provenance"},
    "sec_signoff": {"zh": "审定意见", "en": "Approval"},
    # summary
    "summary_intro": {
        "zh": "每个单位一级风险点原则上不超过其风险点总数的 {share}（上限按整数向下取整）。"
        "图中虚线为上限比例。",
        "en": "Level one is held to at most {share} of each unit's risk points (the cap is a whole "
        "number, rounded down). The dashed line marks that share.",
    },
    "summary_no_quota": {"zh": "未设置一级限额。", "en": "No level-one quota is set."},
    "col_unit": {"zh": "单位", "en": "unit"},
    "col_points": {"zh": "风险点数", "en": "points"},
    "col_cap": {"zh": "一级上限", "en": "cap"},
    "col_share": {"zh": "一级占比", "en": "level-one share"},
    "col_within": {"zh": "符合限额", "en": "within cap"},
    "col_candidates": {"zh": "初定一级", "en": "level-one candidates"},
    "col_demoted": {"zh": "降级", "en": "demoted"},
    "col_total": {"zh": "合计", "en": "total"},
    "cap_line": {"zh": "一级上限 {share}", "en": "cap {share}"},
    "yes": {"zh": "是", "en": "yes"},
    "no": {"zh": "否", "en": "no"},
    # level one
    "level_one_intro": {
        "zh": "共 {n} 个一级风险点，按单位及单位内排名排列。",
        "en": "{n} level-one risk points, by unit and rank in the unit.",
    },
    "no_owner_cols": {
        "zh": "分级文件中没有责任人和防控措施列；请在审定前补充。",
        "en": "The graded file has no owner or measure columns; add them before approval.",
    },
    "none": {"zh": "无。", "en": "None."},
    "col_rank": {"zh": "排名", "en": "rank"},
    "col_score": {"zh": "风险指数", "en": "score"},
    "col_where": {"zh": "科室 / 岗位", "en": "division / post"},
    "col_description": {"zh": "风险描述", "en": "description"},
    # changes
    "changes_intro": {
        "zh": "以下每一项等级变动均列明理由。限额降级：初定为一级、"
        "但在本单位按得分排序超出上限的风险点降为二级；得分相同时依次按{keys}排序。",
        "en": "Every change of level is listed with its reason. Quota demotion: a level-one "
        "candidate ranked beyond its unit's cap by score is demoted to level 2; equal scores are "
        "ordered by {keys}.",
    },
    "col_action": {"zh": "操作", "en": "action"},
    "col_from_to": {"zh": "等级变动", "en": "level change"},
    "col_cutoff": {"zh": "临界分", "en": "cut-off score"},
    "col_reason": {"zh": "理由", "en": "reason"},
    "reason_demotion": {
        "zh": "单位 {unit} 共 {n} 个风险点，一级最多 {cap} 个（{rounding}({share}×{n})）；"
        "该点得分排第 {rank} 位，降为二级",
        "en": "unit {unit}: {cap} of {n} points may be level 1 ({rounding}({share} × {n})); "
        "this point ranks {rank} by score and is demoted to level 2",
    },
    "reason_tie": {
        "zh": "；与临界分并列，由次级排序键决定",
        "en": "; tied with the cut-off score, the secondary keys decided",
    },
    "reason_exception": {
        "zh": "单位 {unit} 共 {n} 个风险点，按比例一级上限为 0；依小单位例外保留一级",
        "en": "unit {unit}: {n} points give a cap of 0; kept at level 1 under the small-unit allowance",
    },
    "audit_mismatch": {
        "zh": "注意：审计文件与分级文件不一致（{detail}）。请核对两份文件是否出自同一次评定。",
        "en": "Warning: the audit file does not match the graded file ({detail}). Check that both "
        "come from the same grading run.",
    },
    "audit_source_file": {"zh": "理由取自审计文件 {name}。", "en": "Reasons from the audit file {name}."},
    "audit_source_frame": {
        "zh": "理由由分级文件中的限额标记生成（未提供审计文件）。",
        "en": "Reasons derived from the quota flags of the graded file (no audit file given).",
    },
    "tie_keys_default": {
        "zh": "后果、处置资金、风险点编号",
        "en": "consequence, funds handled, risk point id",
    },
    # uncertain
    "uncertain_intro": {
        "zh": "按权重不确定性重复评定，所定等级的概率低于 {thr} 的风险点（共 {n} 个）。"
        "这些等级宜在会上逐一确认。",
        "en": "Points whose assigned level has a probability below {thr} when the grading is "
        "repeated under weight uncertainty ({n} points). Confirm these levels one by one.",
    },
    "uncertain_flag_intro": {
        "zh": "不确定性分析标记为等级不确定的风险点（共 {n} 个）。",
        "en": "Points the uncertainty analysis flags as uncertain ({n} points).",
    },
    "uncertain_absent": {
        "zh": "分级文件中没有等级概率（p_level_1…p_level_3），未做不确定性分析。",
        "en": "The graded file has no level probabilities (p_level_1 … p_level_3): no uncertainty "
        "analysis was run.",
    },
    "uncertain_method": {
        "zh": "按 {n} 组抽样权重重复评定（抽样方法 {sampler}，随机种子 {seed}），"
        "每个概率的蒙特卡洛标准误不超过 {se}。",
        "en": "Graded again under {n} sampled weight vectors (sampler {sampler}, seed {seed}); each "
        "probability has a Monte Carlo standard error of at most {se}.",
    },
    "more_rows": {"zh": "另有 {n} 行未列出。", "en": "{n} more rows not shown."},
    "col_p_assigned": {"zh": "所定等级概率", "en": "P(assigned level)"},
    "col_p_mix": {"zh": "一/二/三级概率", "en": "P(level 1/2/3)"},
    # weights
    "weights_intro": {
        "zh": "权重确定方法：{method}。因素得分均按固定锚点换算为 0–1（越高风险越大），"
        "风险指数为现有因素的加权平均。",
        "en": "Weights obtained by: {method}. Factor scores map raw values onto [0, 1] on fixed "
        "anchors (higher = riskier); the score is the weighted mean over the factors present.",
    },
    "thresholds": {
        "zh": "初定等级阈值：风险指数 ≥ {t1} 为一级，≥ {t2} 为二级，其余为三级（依据：{basis}）。",
        "en": "Provisional levels: level 1 from {t1}, level 2 from {t2}, otherwise level 3 (on the {basis}).",
    },
    "col_factor": {"zh": "因素", "en": "factor"},
    "col_name": {"zh": "列名", "en": "column"},
    "col_weight": {"zh": "权重", "en": "weight"},
    "consistency": {"zh": "一致性检验", "en": "Consistency"},
    "details": {"zh": "权重计算数据", "en": "Weighting figures"},
    "cr_ok": {"zh": "CR ≤ 0.10，判断矩阵一致性可接受", "en": "CR ≤ 0.10: judgements acceptably consistent"},
    "cr_bad": {
        "zh": "CR > 0.10，判断矩阵一致性不可接受，须修正判断",
        "en": "CR > 0.10: judgements not acceptably consistent; revise them",
    },
    "no_card": {
        "zh": "未提供模型卡（--model），权重计算数据从略。",
        "en": "No model card given (--model): weighting figures omitted.",
    },
    "card_mismatch": {
        "zh": "注意：模型卡的配置哈希与分级文件不一致，模型卡可能不是本次评定所用。",
        "en": "Warning: the model card's config hash differs from the graded file's; the card may not "
        "be the one used for this grading.",
    },
    "method_fixed": {"zh": "固定权重（配置文件给定）", "en": "fixed weights (given in the config)"},
    "method_ahp": {"zh": "层次分析法（AHP）", "en": "analytic hierarchy process (AHP)"},
    "method_ahp_group": {"zh": "层次分析法（专家群体判断）", "en": "AHP with a group of experts"},
    "method_entropy": {"zh": "熵权法", "en": "entropy weights"},
    "method_critic": {"zh": "CRITIC 法", "en": "CRITIC"},
    "method_combined": {"zh": "主客观组合赋权", "en": "combined subjective and objective weights"},
    "basis_score": {"zh": "风险指数", "en": "score"},
    "basis_probability": {"zh": "校准后的发案概率", "en": "calibrated probability"},
    # provenance
    "prov_intro": {
        "zh": "同一输入与同一配置可逐字节复现本次评定结果。",
        "en": "The same input and config reproduce this grading byte for byte.",
    },
    "prov_version": {"zh": "riskgrade 版本（评定）", "en": "riskgrade version (grading)"},
    "prov_report_version": {"zh": "riskgrade 版本（报告）", "en": "riskgrade version (report)"},
    "prov_config_name": {"zh": "配置名称", "en": "config name"},
    "prov_config": {"zh": "配置哈希（SHA-256）", "en": "config hash (SHA-256)"},
    "prov_input": {"zh": "输入文件哈希（SHA-256）", "en": "input hash (SHA-256)"},
    "prov_input_source": {"zh": "输入文件", "en": "input file"},
    "prov_graded": {"zh": "分级文件", "en": "graded file"},
    "prov_graded_hash": {"zh": "分级文件哈希（SHA-256）", "en": "graded file hash (SHA-256)"},
    "prov_rows": {"zh": "评定 / 剔除行数", "en": "rows graded / rejected"},
    "prov_catalog": {"zh": "因素目录", "en": "factor catalog"},
    "prov_date": {"zh": "报告日期", "en": "report date"},
    "prov_audit": {"zh": "审计文件", "en": "audit file"},
    "prov_card": {"zh": "模型卡", "en": "model card"},
    "prov_missing": {
        "zh": "分级文件没有来源信息（.meta.json 或 Parquet 元数据），无法证明其出处。",
        "en": "The graded file carries no provenance (.meta.json sidecar or Parquet metadata); its "
        "origin cannot be shown.",
    },
    # sign-off
    "signoff_text": {
        "zh": "经领导班子集体研究，同意上述风险等级评定结果。",
        "en": "The leadership group has examined and approves the levels above.",
    },
    "signoff_sign": {"zh": "主要负责人签字", "en": "Principal leader"},
    "signoff_date": {"zh": "日期", "en": "Date"},
}
