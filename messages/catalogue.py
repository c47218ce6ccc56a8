"""Every sentence Whistle says to a person, as (Chinese, English) format strings, by key.

Refusal codes (models.refusals.Code) are keys here; so are the HTTP API's own answers, the
command line's frame ("refused: …") and the words of tables and artifacts. `{name}` fields are
filled by messages.render, which turns codes into names and labels first (see its docstring).
"""

from __future__ import annotations

MESSAGES: dict[str, tuple[str, str]] = {
    # --- matters and their states ------------------------------------------------------------
    "not_found": ("没有编号为{number}的事项", "no matter numbered {number}"),
    "bad_number": (
        "没有编号为“{number}”的事项（事项编号形如 M20261126-0001）",
        "no matter numbered {number} (numbers look like M20261126-0001)",
    ),
    "wrong_status": (
        "{number}：当前状态为“{status}”，不能{action}（现在可以：{allowed}）",
        "{number}: cannot {action} while {status} (allowed now: {allowed})",
    ),
    "matter_closed": (
        "{number}：此事项已结案，不能再{action}",
        "{number}: cannot {action}: the matter is closed",
    ),
    "part_wrong_status": (
        "{number}（{department}）：当前状态为“{status}”，不能{action}",
        "{number} ({department}): cannot {action} while {status}",
    ),
    "acknowledge_first": (
        "{number}（{department}）：当前状态为“{status}”，不能{action}（请先签收）",
        "{number} ({department}): cannot {action} while {status} (acknowledge it first)",
    ),
    "not_assigned": (
        "{number}：{department}不是该事项的承办单位",
        "{number}: department {department} is not assigned to this matter",
    ),
    "lead_resolves": (
        "{number}：{department}是主办单位，由主办单位办结；协办单位才报送",
        "{number}: {department} leads this matter; the lead resolves it, co-handlers report",
    ),
    "only_lead_resolves": (
        "{number}：只有主办单位（{lead}）可以办结，协办单位请报送",
        "{number}: only the lead department ({lead}) resolves; a co-handler reports its part",
    ),
    "co_not_reported": (
        "{number}：协办单位{departments}尚未报送",
        "{number}: co-handler(s) {departments} have not reported yet",
    ),
    "already_referred": (
        "{number}已交由这些单位办理，无需重复分流",
        "{number} is already referred to exactly these departments",
    ),
    "lead_and_co": (
        "{department}不能同时是主办和协办单位",
        "{department} cannot be lead and co-handler at once",
    ),
    "no_route": (
        "没有适用于该事项的分流规则（{category}，{tier}，{town}），请由中心手动分流",
        "no routing rule resolves for category {category} at {tier} tier in {town}; "
        "the center refers it by hand",
    ),
    "before_registered": (
        "{number}：所填时间（{at}）早于事项受理时间（{created}）",
        "{number}: the time given ({at}) is before the matter was registered ({created})",
    ),
    "no_number": ("暂时无法分配事项编号，请重试", "could not allocate a matter number; try again"),
    "store_refused": (
        "数据库拒绝了这次修改（{detail}），未写入任何内容",
        "the store refused the change ({detail}); nothing was written",
    ),
    "schema_newer": (
        "事项库的结构比本版本 Whistle 更新（{detail}），请先升级 Whistle 再使用此库",
        "the store's schema is newer than this version of Whistle knows ({detail}); "
        "upgrade Whistle before using this store",
    ),
    # --- extensions ------------------------------------------------------------------------
    "nothing_to_extend": (
        "{number}：{department}的办理部分状态为“{status}”，无需延期",
        "{number}: {department}'s part is {status}; nothing to extend",
    ),
    "extension_pending": (
        "{number}：{department}已有待审批的延期申请",
        "{number}: {department} already has an extension request waiting",
    ),
    "no_extension_pending": (
        "{number}：{department}没有待审批的延期申请",
        "{number}: {department} has no extension request waiting",
    ),
    "extension_too_long": (
        "{category}类事项每次延期最长{most}",
        "length: at most {most} for {category}",
    ),
    "extensions_used": (
        "{number}：{category}类事项只能延期{limit}次",
        "{number}: {category} may be extended {limit} time(s) only",
    ),
    "longer_than_year": (
        "延期时长{value}超过一年，请先申请较短的时长",
        "length: {value} is longer than a year; ask for less, then again",
    ),
    # --- one input field (a refusal's `fields`, or an API field problem) ---------------------
    "invalid_input": ("{problems}", "{problems}"),
    "required": ("必填", "is required"),
    "too_long": ("最多{max_length}个字符", "must have at most {max_length} characters"),
    "too_short": ("至少{min_length}个字符", "must have at least {min_length} characters"),
    "too_many": ("最多{max_length}项", "must have at most {max_length} items"),
    "pattern": ("格式不正确（应符合 {pattern}）", "does not match the pattern {pattern}"),
    "integer": ("应为整数", "must be a whole number (an integer)"),
    "number": ("应为数字", "must be a number"),
    "boolean": ("应为 true 或 false", "must be true or false (a boolean)"),
    "text": ("应为文本", "must be text"),
    "list": ("应为列表", "must be a list"),
    "object": ("应为 JSON 对象", "must be a JSON object"),
    "json": ("不是有效的 JSON", "is not valid JSON"),
    "extra": ("不认识这个字段", "is not a known field"),
    "at_least": ("不能小于{limit}", "must be at least {limit}"),
    "at_most": ("不能大于{limit}", "must be at most {limit}"),
    "above": ("必须大于{limit}", "must be greater than {limit}"),
    "below": ("必须小于{limit}", "must be less than {limit}"),
    "one_of": ("应为以下之一：{expected}", "must be one of: {expected}"),
    "datetime": (
        "应为 ISO-8601 时间，如 2026-11-26T09:30+08:00",
        "must be an ISO-8601 time such as 2026-11-26T09:30+08:00",
    ),
    "invalid": ("无效：{detail}", "{detail}"),
    "empty": ("不能为空", "must not be empty"),
    "control": ("含有控制字符", "contains control characters"),
    "bad_characters": ("含有无效字符", "contains invalid characters"),
    "phone": (
        "“{value}”不是有效的电话号码（手机号为1开头的11位数字，固定电话如0472-1234567）",
        "'{value}' is not a mainland phone number "
        "(a mobile 1xxxxxxxxxx of 11 digits, or a landline such as 0472-1234567)",
    ),
    "id_number": (
        "不是有效的18位居民身份证号（请核对最后一位校验码）",
        "not a valid 18-character resident ID number (check the last character)",
    ),
    "birth_date": (
        "身份证号中的出生日期（{value}）不是真实日期",
        "the birth date in it ({value}) is not a real date",
    ),
    "number_form": ("编号格式应如 M20261126-0001", "a number looks like M20261126-0001"),
    "code_form": (
        "代码只能由字母、数字、下划线和点组成",
        "a code holds only letters, digits, '_' and '.'",
    ),
    "duration": (
        "“{value}”不是时长：时长应为正整数加单位：m 分钟、h 小时、d 自然日、wd 工作日，如 5wd",
        "'{value}' is not a duration: write a whole number and a unit, "
        "m (minutes), h (hours), d (days) or wd (working days), e.g. 30m, 2h, 3wd",
    ),
    "duration_zero": (
        "“{value}”：时长必须大于零",
        "'{value}': a duration must be longer than zero",
    ),
    # --- codes and names a person typed ------------------------------------------------------
    "unknown_department": (
        "没有代码为“{value}”的单位{hint}",
        "no such department `{value}`{hint}",
    ),
    "unknown_category": (
        "没有“{value}”这一事项类别{hint}",
        "no such category `{value}`{hint}",
    ),
    "unknown_area": (
        "没有“{value}”这一区域（请用镇街或村社区的代码或名称）{hint}",
        "no such area `{value}` (use a town or village code, or its name){hint}",
    ),
    "unknown_status": (
        "没有“{value}”这一状态（可选：{known}）",
        "no such status `{value}` (known: {known})",
    ),
    "unknown_colour": (
        "没有“{value}”这一预警颜色（可选：{known}）",
        "no such colour `{value}` (known: {known})",
    ),
    "unknown_flag": (
        "不认识的风险标识{values}（可选：{known}）",
        "unknown flag(s) {values} (known: {known})",
    ),
    "unknown_channel": (
        "不认识的来源渠道“{value}”（可选：{known}）",
        "unknown channel '{value}' (known: {known})",
    ),
    "unknown_outcome": (
        "不认识的办理结果“{value}”（可选：{known}）",
        "unknown outcome '{value}' (known: {known})",
    ),
    "unknown_actor": (
        "不认识的操作方“{value}”（应为 center 或单位代码）",
        "unknown actor '{value}' (the center, or a department code)",
    ),
    "ambiguous": (
        "“{value}”对应多个{kind}：{candidates}，请改用代码",
        "`{value}` names more than one {kind}: {candidates}; use the code",
    ),
    # optional parts, filled in by render when their parameter is given
    "hint.suggestions": ("（您是不是要找：{suggestions}？）", " (did you mean {suggestions}?)"),
    "hint.given": ("（填写的是：{given}）", " (given: {given})"),
    "hint.more": ("（另有{more}处问题）", " (and {more} more problem(s))"),
    # --- the clock -------------------------------------------------------------------------
    "clock_override_off": (
        "--at（指定“当前”时间）仅在 WHISTLE_ALLOW_CLOCK_OVERRIDE=1 时可用（用于模拟和测试）",
        "--at (an 'as of' time) is only accepted when WHISTLE_ALLOW_CLOCK_OVERRIDE=1 "
        "(for simulations and tests)",
    ),
    "bad_time": (
        "--at “{value}”不是 ISO-8601 时间，如 2026-11-26T09:30+08:00",
        "--at '{value}' is not an ISO-8601 time such as 2026-11-26T09:30+08:00",
    ),
    "time_no_zone": (
        "--at “{value}”没有时区，请加上，如 +08:00",
        "--at '{value}' has no time zone; add one, e.g. +08:00",
    ),
    "time_out_of_range": (
        "--at “{value}”不在可记录的年份（{first}–{last}）之内",
        "--at '{value}' is outside the years {first}–{last} that steps can be dated in",
    ),
    # --- statistics ------------------------------------------------------------------------
    "bad_date": (
        "{field}：“{value}”不是日期，应如 2026-01-31",
        "{field}: '{value}' is not a date such as 2026-01-31",
    ),
    "period_backwards": ("--to {end} 早于 --from {start}", "--to {end} is before --from {start}"),
    "bad_grouping": (
        "--by：“{value}”不是以下之一：{known}",
        "--by: '{value}' is not one of {known}",
    ),
    # --- tokens ----------------------------------------------------------------------------
    "token_holder": (
        "请在 --department（或 center）和 --channel 中给出且只给出一个",
        "give exactly one of --department (or center) and --channel",
    ),
    "no_such_token": ("没有编号为{id}的令牌", "no token with id {id}"),
    "token_already_revoked": (
        "令牌{id}已于{at}吊销",
        "token {id} was already revoked at {at}",
    ),
    # --- backup and restore ----------------------------------------------------------------
    "backup_exists": (
        "{path} 已存在；请另选文件名，以免覆盖已有备份",
        "{path} already exists; choose another name so no backup is overwritten",
    ),
    "backup_missing": ("找不到备份文件 {path}", "no backup file at {path}"),
    "backup_broken": (
        "{path} 不是完整的 Whistle 备份文件（第{line}行）",
        "{path} is not a whole Whistle backup (line {line})",
    ),
    "backup_unreadable": (
        "{path} 不是完整的 Whistle 备份文件（{detail}）",
        "{path} is not a whole Whistle backup ({detail})",
    ),
    "backup_not_whistle": ("{path} 不是 Whistle 备份文件", "{path} is not a Whistle backup"),
    "backup_version": (
        "{path} 的备份格式版本 {version} 不受支持（支持 {supported}）",
        "{path} has backup format {version}; this Whistle reads {supported}",
    ),
    "backup_newer": (
        "备份来自更新的版本：本版本没有 {what}；请先升级 Whistle 再恢复",
        "the backup comes from a newer Whistle: {what} is unknown here; upgrade first",
    ),
    "backup_empty": ("{path} 是空文件", "{path} is empty"),
    "store_not_empty": (
        "目标库不是空的（{tables} 行）；只能恢复到空库，请新建一个库再恢复",
        "the store is not empty ({tables} rows); a backup restores only into an empty store: "
        "create a new one and restore there",
    ),
    "backup_incomplete": (
        "{path} 不完整（行数与文件头不符）；未恢复任何数据",
        "{path} is incomplete (its rows do not match its header); nothing was restored",
    ),
    "restore_refused": (
        "目标库拒绝了备份中的数据（{detail}）；未恢复任何数据",
        "the store refused the backup's rows ({detail}); nothing was restored",
    ),
    "backup_bad_row": (
        "{path} 的数据行无法读取（{detail}）；未恢复任何数据",
        "{path} has a row that cannot be read ({detail}); nothing was restored",
    ),
    "backup_unknown_table": (
        "{path} 含有未知的表 {table}",
        "{path} holds an unknown table {table}",
    ),
    # --- the district configuration (for whoever keeps config/) ------------------------------
    "config_folder_missing": (
        "{path}：配置文件夹不存在",
        "{path}: configuration folder is missing",
    ),
    "config_file_missing": ("{path}：文件不存在", "{path}: file is missing"),
    "config_yaml": ("{path}：不是有效的 YAML：{error}", "{path}: not valid YAML: {error}"),
    "config_key_twice": (
        "{path}：{key}：同一映射中写了两次（第{line}行再次出现）",
        "{path}: {key}: written twice in one mapping (again on line {line})",
    ),
    "config_not_mapping": (
        "{path}：顶层应为键值映射",
        "{path}: expected a mapping of keys at the top level",
    ),
    "config_invalid": (
        "{path}：{key}：{problem}{given}{more}",
        "{path}: {key}: {problem}{given}{more}",
    ),
    "config_code_twice": (
        "{path}：{key}：代码“{value}”出现了两次",
        "{path}: {key}: code '{value}' appears twice",
    ),
    "config_env_unset": (
        "{path}：环境变量 {name} 未设置",
        "{path}: environment variable {name} is not set",
    ),
    "config_shared_code": (
        "{path}：镇和村共用了代码 {codes}",
        "{path}: a town and a village share the code(s) {codes}",
    ),
    "config_unknown": (
        "{path}：{key}：不认识的{kind}“{value}”",
        "{path}: {key}: unknown {kind} '{value}'",
    ),
    "config_no_unit": (
        "{path}：{key}：“{value}”：departments.yaml 的 {units} 中没有名为“{suffix}”的{tier}单位",
        "{path}: {key}: '{value}': no {tier} unit '{suffix}' in departments.yaml {units}",
    ),
    "config_catch_all": (
        "{path}：{key}：兜底规则（category '*'、tier '*'）必须是最后一条，其后的规则永远不会生效",
        "{path}: {key}: the catch-all rule (category '*', tier '*') must be the last rule; "
        "rules after it would never apply",
    ),
    "config_matches_none": (
        "{path}：{key}：“{value}”不匹配任何单位",
        "{path}: {key}: '{value}' matches no department",
    ),
    "config_unserved": (
        "{path}：channels：有{count}个收件方没有通知渠道：{recipients}",
        "{path}: channels: no notice channel serves {count} recipient(s): {recipients}",
    ),
    "config_expected_keys": (
        "{path}：应为含 {keys} 的映射",
        "{path}: expected a mapping with keys {keys}",
    ),
    "config_date_twice": (
        "{path}：{key}：{value} 出现了两次（另见 {other}）",
        "{path}: {key}: {value} appears twice (also {other})",
    ),
    "option_needs": ("{option} 须与 {needs} 一起使用", "{option}: use it with {needs}"),
    "year_out_of_range": (
        "--year：{value} 不在 {first}–{last} 之间",
        "--year: {value} is outside {first}–{last}",
    ),
    "config_boundaries": ("{path}：边界文件有误：{problem}", "{path}: {problem}"),
    "unknown_role": (
        "没有“{value}”这一角色（可选：{known}）",
        "no such role `{value}` (known: {known})",
    ),
    "password_length": (
        "密码长度应在{min}到{max}个字符之间",
        "a password has between {min} and {max} characters",
    ),
    "account_exists": ("已有名为“{value}”的账号", "an account named '{value}' exists already"),
    "no_account": (
        "没有名为“{value}”的账号（见 whistle user list）",
        "no account named '{value}' (see whistle user list)",
    ),
    "account_disabled": (
        "账号“{value}”已于{at}停用",
        "account '{value}' was already disabled at {at}",
    ),
    "no_notice": (
        "没有编号为{id}的通知（见 whistle notices --failed）",
        "no notice numbered {id} (see whistle notices --failed)",
    ),
    "notice_not_dead": (
        "通知{id}当前状态为{state}，只有已放弃发送的通知才能重发",
        "notice {id} is {state}; only a dead notice is sent again",
    ),
    "notice_resent_once": (
        "通知{id}已于{at}重发过一次（现为{state}）；请先修复其通知渠道，同一通知不再重发",
        "notice {id} was already re-sent once, at {at} (now {state}); mend its channel, it is "
        "not re-sent twice",
    ),
    "notice_erased": (
        "通知{id}：反映人的个人信息已删除，无法发送",
        "notice {id}: the citizen's personal data was erased; it cannot be sent",
    ),
    "config_wrong_year": (
        "{path}：{key}：{value} 不在 {year} 年内",
        "{path}: {key}: {value} is not in {year}",
    ),
    "config_date_both": (
        "{path}：{key}：{value} 也在 {other} 中；一天要么是工作日，要么是休息日",
        "{path}: {key}: {value} is also in {other}; a day is either a working day or a day off",
    ),
    # problems inside one configuration value
    "unknown_time_zone": (
        "不认识的时区“{value}”（如 Asia/Shanghai）",
        "unknown time zone '{value}' (e.g. Asia/Shanghai)",
    ),
    "no_start_tier": ("缺少起始层级：{colours}", "no starting tier for {colours}"),
    "ladder_order": (
        "各级应按提醒、催办、督办、通报的顺序，每一级晚于前一级且晚于起点",
        "steps must come in the order reminder, urging, supervision, circular, each later "
        "than the one before and after the start",
    ),
    "colour_durations": (
        "应为颜色到时长的映射，如 {{red: 2h}}",
        "a mapping of colour to duration, e.g. {{red: 2h}}",
    ),
    "colour_windows": (
        "{colour}需要同时设置 acknowledge 和 resolve",
        "{colour} needs both acknowledge and resolve",
    ),
    "duration_list": (
        "应为时长列表，如 [1m, 5m, 30m]",
        "a list of durations such as [1m, 5m, 30m]",
    ),
    "clock_time_only": (
        "通知投递请用钟点时间（m、h、d），不要用工作日",
        "use clock time (m, h, d) for delivery, not working days",
    ),
    "retention_period": (
        "“{value}”不是保存期限：请写正整数加 y（年）或 d（天），如 3y 或 1095d",
        "'{value}' is not a retention period: write a whole number and y (years) or d (days), "
        "e.g. 3y or 1095d",
    ),
    "retention_zero": (
        "“{value}”：保存期限必须大于零",
        "'{value}': a retention period must be longer than zero",
    ),
    "sweep_interval": (
        "巡检间隔应为分钟或小时，如 5m",
        "the sweep interval is minutes or hours, e.g. 5m",
    ),
    # --- `whistle up` -------------------------------------------------------------------------
    "up.starting": (
        "whistle：正在启动 Prefect 服务器（{where}）…",
        "whistle: starting the Prefect server on {where} …",
    ),
    "up.port_in_use": (
        "whistle：{where} 的端口 {port} 已被占用（Whistle 是否已在运行？）",
        "whistle: port {port} on {where} is in use (is Whistle already up?)",
    ),
    "up.no_sweep": (
        "whistle：注意：启动时未能巡检（{error}）",
        "whistle: warning: no sweep at start ({error})",
    ),
    "up.no_report": (
        "whistle：注意：未能生成统计报表（{error}）",
        "whistle: warning: no statistics report ({error})",
    ),
    "up.ready": (
        "\nWhistle 已启动。\n"
        "  Prefect 界面：{ui}/v2/runs（每件事项一个运行，其状态即事项所处环节）\n"
        "  超时事项：    {ui}/v2/runs?state=督办（或 催办、通报、待签收 …）\n"
        "  工作台：      {api}/（登录；开账号："
        ".venv/bin/whistle user create --department hrss --name 张科长）\n"
        "  接口：        {api}（文档 /docs；令牌："
        ".venv/bin/whistle token create --department hrss）\n"
        "  事项库：      {store}\n"
        "  通知收件箱：  {inbox}/<收件方>.log\n"
        "  演示事项：    {demo}\n"
        "  统计报表：    {report}（制品 statistics，每日 {report_at} 更新）\n"
        "  受理登记：    Deployments → intake form / intake → Run\n"
        "  定时任务：    每 {sweep_every} 巡检，每日 {digest_at} 发每日待办，"
        "{retention_at} 清理到期个人信息\n"
        "  试试：        {try_it}\n",
        "\nWhistle is up.\n"
        "  Prefect UI:   {ui}/v2/runs  (one run per matter, its state where the matter stands)\n"
        "  Overdue:      {ui}/v2/runs?state=督办  (催办, 通报, 待签收 …)\n"
        "  Workbench:    {api}/  (sign in"
        "; accounts: .venv/bin/whistle user create --department hrss --name 张科长)\n"
        "  HTTP API:     {api}  (documentation: /docs"
        "; tokens: .venv/bin/whistle token create --department hrss)\n"
        "  Store:        {store}\n"
        "  Notices:      {inbox}/<recipient>.log\n"
        "  Demo matters: {demo}\n"
        "  Statistics:   {report} (artifact 'statistics'; refreshed daily at {report_at})\n"
        "  Intake form:  Deployments → intake form / intake → Run (受理登记)\n"
        "  Scheduled:    deadline sweep every {sweep_every}, daily digest at {digest_at}, "
        "personal data retention at {retention_at} (Deployments page)\n"
        "  Try:          {try_it}\n",
    ),
    "up.none": ("无", "none added"),
    "up.no_file": ("未生成（见日志）", "not written (see the log)"),
    "up.demo_signin": (
        "  演示账号（密码均为 {password}，仅供演示）：",
        "  Demo sign-in (password '{password}' for each; demo only):",
    ),
    "up.stop_hint": ("按 Ctrl-C 停止。", "Stop with Ctrl-C."),
    "up.server_stopped": (
        "whistle：Prefect 服务器已停止（退出码 {code}）",
        "whistle: the Prefect server stopped (exit {code})",
    ),
    "up.stopping": ("\nwhistle：正在停止 …", "\nwhistle: stopping …"),
    "up.stopped": ("whistle：已停止。", "whistle: stopped."),
    "api.serving": (
        "whistle：接口已在 {url} 提供（文档：{url}/docs）",
        "whistle: HTTP API on {url} (docs: {url}/docs)",
    ),
    # --- the HTTP API's own answers ---------------------------------------------------------
    "api.invalid_input": ("输入有误：{problems}", "invalid input: {problems}"),
    "no_token": (
        "缺少访问令牌：请在 Authorization 请求头中提供 Bearer 令牌",
        "no token: send 'Authorization: Bearer <token>'",
    ),
    "bad_token": ("访问令牌无效", "the token is not valid"),
    "revoked_token": ("访问令牌已被吊销", "the token has been revoked"),
    "intake_token": (
        "此令牌只能用于 Open311 提交诉求",
        "this token may only submit Open311 service requests",
    ),
    "center_only": ("只有中心可以执行此操作", "only the center may do this"),
    "department_only": (
        "此操作由承办单位执行；中心使用分流和延期审批",
        "departments do this; the center refers and decides extensions",
    ),
    "no_such_path": ("没有这个地址", "no such address"),
    "method": ("不支持此请求方法", "this method is not allowed here"),
    "too_large": (
        "请求内容过大（上限{limit}字节）",
        "the request body is too large (limit {limit} bytes)",
    ),
    "not_utf8": (
        "{field}：不是有效的 UTF-8 文本，请以 UTF-8 编码提交",
        "{field}: is not valid UTF-8 text; send it encoded as UTF-8",
    ),
    "not_utf8_field": ("不是有效的 UTF-8 文本", "is not valid UTF-8 text"),
    "store_down": (
        "数据库暂时无法访问，未写入任何内容，请稍后重试",
        "the store cannot be reached just now; nothing was written, try again shortly",
    ),
    "clock": (
        "X-Whistle-As-Of 仅在 WHISTLE_ALLOW_CLOCK_OVERRIDE=1 时可用",
        "X-Whistle-As-Of is accepted only when WHISTLE_ALLOW_CLOCK_OVERRIDE=1",
    ),
    "clock_value": (
        "X-Whistle-As-Of 应为带时区的 ISO-8601 时间",
        "X-Whistle-As-Of must be an ISO-8601 time with a time zone",
    ),
    "idempotency_mismatch": (
        "该 Idempotency-Key 已用于另一个请求",
        "this Idempotency-Key was already used for a different request",
    ),
    "idempotency_pending": (
        "使用该 Idempotency-Key 的第一个请求仍在处理，请稍后重试",
        "the first request with this Idempotency-Key is still being processed; try again shortly",
    ),
    "stage_pending": (
        "已记录；后续流程未能完成，下一次巡检会补完",
        "recorded; the follow-up flow did not finish, the next sweep completes it",
    ),
    "stage_done": ("已记录，后续流程已完成", "recorded; the follow-up flow finished"),
    "stage_queued": (
        "已记录，后续流程已交由后台处理",
        "recorded; the follow-up flow was handed to a worker",
    ),
    "api_key": ("api_key 无效或缺失", "api_key is missing or not valid"),
    "api_key_scope": (
        "此 api_key 不能提交诉求（请使用中心或受理渠道的令牌）",
        "this api_key cannot submit requests (use the center's or an intake channel's token)",
    ),
    "unknown_service": ("没有编码为“{code}”的服务", "no service with the code '{code}'"),
    "unknown_request": ("没有编号为“{id}”的诉求", "no service request numbered '{id}'"),
    "name_required": (
        "请提供反映人姓名（last_name 和/或 first_name）",
        "the person's name is required (last_name and/or first_name)",
    ),
    "no_location": (
        "无法确定所在区域：请在 address_string 中写明镇街或村社区名称，或提供 attribute[area]"
        "（配置中没有坐标，仅凭 lat/long 无法定位）",
        "cannot place the request: name a town or village in address_string, or give "
        "attribute[area] (the configuration has no coordinates, so lat/long alone cannot)",
    ),
    "bad_status_filter": ("status 只能是 open 或 closed", "status must be open or closed"),
    "received_notice": (
        "已受理，事项编号{number}，我们会尽快办理并告知结果",
        "received as {number}; you will be told how it is handled",
    ),
    "year": ("年份应在{first}至{last}之间", "the year must be between {first} and {last}"),
    "window": ("end_date 不能早于 start_date", "end_date must not be before start_date"),
    # the citizen's feedback link
    "link_invalid": ("链接无效，请核对短信中的链接", "this link is not valid; check the link"),
    "link_used": ("该评价链接已使用过，感谢您的反馈", "this link was already used; thank you"),
    "link_expired": ("评价链接已于{when}过期", "this link expired on {when}"),
    "link_superseded": (
        "该链接已失效：事项已重新办理，请使用最新通知中的链接",
        "this link no longer applies: the matter was handled again; use the newest notice's link",
    ),
    "link_closed": (
        "此事项已结案，感谢您的反馈",
        "this matter is already closed; thank you for your feedback",
    ),
    "link_moved_on": (
        "该链接已失效：事项已交回办理，办结后您会收到新的评价链接",
        "this link no longer applies: the matter is being handled again; a new link follows "
        "when it is resolved",
    ),
    "feedback_thanks_closed": (
        "感谢您的评价，事项{number}已结案",
        "thank you; matter {number} is closed",
    ),
    "feedback_thanks_reopened": (
        "感谢您的评价，事项{number}已重新交办理单位办理",
        "thank you; matter {number} goes back to the department to be handled again",
    ),
    # --- the command line -------------------------------------------------------------------
    "cli.refused": ("whistle: 未执行：{message}", "whistle: refused: {message}"),
    "cli.usage": ("{message}（用法见 {prog} --help）", "{message} (see {prog} --help)"),
    "cli.config_error": ("whistle: 配置有误：{message}", "whistle: configuration error: {message}"),
    "cli.store_down": (
        "whistle: 无法连接事项库（{reason}）；未写入任何内容，请重试",
        "whistle: the store cannot be reached ({reason}); nothing was written, try again",
    ),
    "cli.store_gone": (
        "whistle: 注意：已记录，但读取结果前事项库断开（{reason}）；请勿重复操作，引擎或下一次巡检"
        "会补完{stage}的后续处理",
        "whistle: warning: recorded, but the store went away before the result could be read "
        "({reason}); do not repeat the action, the engine or the next sweep completes the "
        "{stage} follow-up",
    ),
    "cli.warning": ("whistle: 注意：{message}", "whistle: warning: {message}"),
    "cli.stage_unfinished": (
        "whistle: 注意：已记录，但{stage}的后续处理未完成（{error}）；引擎或下一次巡检会补完",
        "whistle: warning: recorded, but the {stage} follow-up did not finish ({error}); "
        "the engine or the next sweep completes it",
    ),
    "cli.none": ("（无）", "(none)"),
    "cli.no_lead": ("—", "—"),
    "token.shown_once": (
        "请立即妥善保存此令牌：它只显示这一次",
        "store this token now: it is shown only once",
    ),
    # --- tables and artifacts ---------------------------------------------------------------
    "artifact.timeline": ("{number}：{status}", "{number}: {status}"),
    "artifact.overdue": ("截至{at}的超时办理", "overdue parts as of {at}"),
    "artifact.sweep": ("截至{at}的巡检", "sweep as of {at}"),
    "artifact.retention": ("截至{at}的个人信息清除", "retention as of {at}"),
    "artifact.statistics": ("统计报表：{first}至{last}", "statistics {first} to {last}"),
    "sweep.steps": ("本次催办等处理的步骤", "steps taken"),
    "sweep.referred": ("补完分流的受理", "stuck intakes referred"),
    "sweep.failed": ("发送失败、待重试的通知", "notices failed, to retry"),
    "sweep.dead": (
        "已放弃的通知（whistle notices --failed）",
        "notices dead (whistle notices --failed)",
    ),
    "retention.period": ("结案后保存期限", "retention period after closing"),
    "retention.cutoff": ("结案时间不晚于", "closed on or before"),
    "retention.citizens": ("已清除个人信息的群众", "citizens erased"),
    "retention.matters": ("已匿名化的事项", "matters anonymised"),
}
