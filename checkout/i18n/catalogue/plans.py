"""What customers and staff read about Buy-Now-Pay-Later plans, in English and Swahili.

:mod:`checkout.i18n.texts` merges these into its tables, so :func:`checkout.i18n.texts.t` finds them
and the same checks (both languages, same placeholders, GSM alphabet, one SMS) apply. Keys start
with ``plan_``, ``plans_`` (the ``/plans`` list), ``button_plan``, ``weekday_`` or
``staff_plan_``. Plans are credit: every text is polite and never threatens; the offer shows
the full cost and every date before the customer accepts.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Final

PLAN_EN: Final[Mapping[str, str]] = {
    "button_pay_later": "Pay later",
    # the offer
    "plan_offer": (
        "Pay later for order {order}: KES {balance} in parts, with no interest. "
        "M-Pesa prompts go to {phone}. Choose a plan:"
    ),
    "plan_option": "{count} installments:",
    "plan_part_deposit": "Today: KES {amount} (deposit)",
    "plan_part_total": "Total: KES {total}",
    "plan_offer_terms": (
        "We remind you the day before each date and send the M-Pesa prompt at {hour} on the "
        "date. There is no late fee."
    ),
    "plan_offer_terms_fee": (
        "We remind you the day before each date and send the M-Pesa prompt at {hour} on the "
        "date. An installment still unpaid when it is late costs KES {fee} more, once."
    ),
    "button_plan_option": "{count} installments",
    "button_plan_no": "No thanks",
    "button_plan_phone": "Another M-Pesa number",
    "plan_declined": "No problem. You can pay the order whenever you are ready.",
    "plan_offer_changed": "This offer has changed since it was made. Here it is as of now.",
    # why a plan is not offered: one sentence each
    "plan_refused_disabled": "Payment plans are not available at the moment.",
    "plan_refused_minimum": "Payment plans are for orders of KES {minimum} or more.",
    "plan_refused_too_small": "This order is too small to split into installments.",
    "plan_refused_history": "Payment plans are for customers who have paid us by M-Pesa before.",
    "plan_refused_overdue": (
        "A new plan can start once the installment past its date on your other plan is paid; "
        "see /plans."
    ),
    "plan_refused_exists": "Order {order} already has a payment plan; see /plans.",
    "plan_refused_limit": (
        "A plan for this order would take what you owe on plans above KES {limit}."
    ),
    # the deposit
    "plan_deposit_sent": (
        "Check your phone and enter your M-Pesa PIN to pay the deposit of KES {amount} for "
        "order {order}. The plan starts once it is paid."
    ),
    "plan_deposit_paid": (
        "Deposit paid: KES {amount} for order {order}, receipt {receipt}. Your plan is active. "
        "Next: KES {next_amount} on {date}."
    ),
    "plan_deposit_unpaid": "The plan starts once the deposit is paid. Try again, or drop the plan.",
    "button_plan_deposit": "Pay the deposit",
    "button_plan_drop": "Drop the plan",
    "plan_dropped": "The plan for order {order} is dropped. Nothing will be collected for it.",
    "plan_not_droppable": "This plan has started, so it cannot be dropped. See /plans.",
    "plan_not_found": "We could not find this plan. See /plans for your plans.",
    # collecting
    "plan_reminder": (
        "Reminder: KES {amount} for order {order} (installment {number} of {count}) is due "
        "tomorrow, {date}. We will send an M-Pesa prompt at {hour}."
    ),
    "plan_due": (
        "Installment {number} of {count} for order {order}: KES {amount} is due today. "
        "Check your phone and enter your M-Pesa PIN."
    ),
    "plan_paid": (
        "Paid: KES {amount} for order {order}, receipt {receipt}. Plan: KES {paid} paid, "
        "KES {left} left. Next: KES {next_amount} on {date}."
    ),
    "plan_completed": (
        "Paid: KES {amount} for order {order}, receipt {receipt}. Your plan is complete and "
        "the order is fully paid. Thank you!"
    ),
    "plan_retry_tomorrow": "We will send the prompt again tomorrow at {hour}, or you can pay now.",
    "plan_retry_soon": "We will send the prompt again in about an hour, or you can pay now.",
    "plan_retry_ask": "You can pay now, or we will send the prompt again tomorrow at {hour}.",
    "plan_pay_when_ready": "You can pay it now whenever you are ready.",
    "plan_overdue": (
        "Installment {number} of {count} for order {order}, KES {amount}, is now past its date. "
        "Please pay it when you can. If you need help, contact us."
    ),
    "plan_overdue_fee": "A late fee of KES {fee} was added, as set out in the plan.",
    "plan_all_capped": (
        "M-Pesa takes at most KES 250,000 at once, so this prompt is for KES {amount}."
    ),
    "button_plan_pay_now": "Pay now",
    "button_plan_next": "Pay next installment now",
    "button_plan_all": "Pay everything now",
    # /plans
    "plans_none": (
        "You have no payment plans. To pay an order in parts, choose Pay later when you pay it."
    ),
    "plans_header": "Your payment plans:",
    "plans_active": (
        "Order {order}: KES {paid} paid, KES {left} left. Next: KES {amount} on {date}."
    ),
    "plans_overdue": (
        "Order {order}: KES {paid} paid, KES {left} left. KES {amount} was due on {date}."
    ),
    "plans_pending": "Order {order}: the plan starts once its deposit of KES {amount} is paid.",
    # dates: the weekday (Monday is 0) before dd/mm
    "weekday_0": "Mon",
    "weekday_1": "Tue",
    "weekday_2": "Wed",
    "weekday_3": "Thu",
    "weekday_4": "Fri",
    "weekday_5": "Sat",
    "weekday_6": "Sun",
    # staff (Telegram only)
    "staff_plan_accepted": (
        "{phone} chose to pay {order} (KES {total}) in parts: a deposit of KES {amount} and "
        "{count} installments. Waiting for the deposit."
    ),
    "staff_plan_active": (
        "{phone} paid the KES {amount} deposit for {order} (KES {total} in all): the plan is "
        "active, {count} installments to come."
    ),
    "staff_plan_overdue": (
        "{phone} has not paid installment {number} of {count} for {order} (KES {amount}) "
        "after {attempts} tries. They were asked politely to pay."
    ),
    "staff_plan_completed": (
        "{order} is now fully paid (KES {total}): {phone} paid the plan's last installment."
    ),
    "staff_plan_dropped": "{phone} dropped the plan for {order} before paying its deposit.",
    # the grace period, "Move this date" and "Add to next payment" (once per plan each)
    "plan_offer_grace": (
        "If a payment is missed, you have {grace} days to pay it before it is late."
    ),
    "plan_offer_choices": (
        "Once per plan you may move a date by up to 7 days, and once add a missed payment to "
        "the next one."
    ),
    "plan_offer_fee_cap": "Late fees together never exceed KES {cap} (10% of the order).",
    "plan_missed_reminder": (
        "KES {amount} for order {order} (installment {number} of {count}), due {date}, is not "
        "paid yet. You can pay it any time before {until}."
    ),
    "plan_retry_grace": "We will not send more prompts for it. You can pay it before {until}.",
    "plans_missed": (
        "Order {order}: KES {paid} paid, KES {left} left. KES {amount} was due on {date}; "
        "you can pay it before {until}."
    ),
    "button_plan_move": "Move this date",
    "button_plan_move_to": "To {date}",
    "plan_move_ask": (
        "Move installment {number} of {count} for order {order} (KES {amount}, {date}) to "
        "which day? This can be done once per plan."
    ),
    "plan_moved": (
        "Done: installment {number} of {count} for order {order}, KES {amount}, is now due on "
        "{date}. We will remind you the day before."
    ),
    "plan_move_used": "A date can be moved once per plan, and this plan has used it.",
    "plan_move_none": "There is no upcoming installment on this plan to move.",
    "button_plan_roll": "Add to next payment",
    "plan_rolled": (
        "Done: KES {amount} of installment {number} is added to your next payment: "
        "KES {next_amount} on {date}. No prompt is sent for it before then."
    ),
    "plan_roll_used": (
        "A missed payment can be added to the next one once per plan, and this plan has used it."
    ),
    "plan_roll_none": "There is no missed installment on this plan to add to a next payment.",
    "plan_roll_too_large": (
        "Together they would be more than M-Pesa takes at once (KES 250,000), so they stay apart."
    ),
    "staff_plan_moved": (
        "{phone} moved installment {number} of {count} for {order} (KES {amount}) from {old} "
        "to {new}."
    ),
    "staff_plan_rolled": (
        "{phone} added missed installment {number} for {order} (KES {amount}) to installment "
        "{next_number}, now KES {next_amount}."
    ),
}

PLAN_SW: Final[Mapping[str, str]] = {
    "button_pay_later": "Lipa baadaye",
    # the offer
    "plan_offer": (
        "Lipa baadaye kwa oda {order}: KES {balance} kwa awamu, bila riba. "
        "Maombi ya M-Pesa yataenda {phone}. Chagua mpango:"
    ),
    "plan_option": "Awamu {count}:",
    "plan_part_deposit": "Leo: KES {amount} (malipo ya awali)",
    "plan_part_total": "Jumla: KES {total}",
    "plan_offer_terms": (
        "Tutakukumbusha siku moja kabla ya kila tarehe na kutuma ombi la M-Pesa {hour} "
        "tarehe hiyo. Hakuna ada ya kuchelewa."
    ),
    "plan_offer_terms_fee": (
        "Tutakukumbusha siku moja kabla ya kila tarehe na kutuma ombi la M-Pesa {hour} "
        "tarehe hiyo. Awamu isiyolipwa ikichelewa inaongezwa KES {fee}, mara moja tu."
    ),
    "button_plan_option": "Awamu {count}",
    "button_plan_no": "Hapana, asante",
    "button_plan_phone": "Namba nyingine ya M-Pesa",
    "plan_declined": "Sawa. Unaweza kulipia oda wakati wowote ukiwa tayari.",
    "plan_offer_changed": "Ofa hii imebadilika tangu ilipotolewa. Hii ndiyo ofa ya sasa.",
    # why a plan is not offered: one sentence each
    "plan_refused_disabled": "Mipango ya malipo haipatikani kwa sasa.",
    "plan_refused_minimum": "Mipango ya malipo ni kwa oda za KES {minimum} au zaidi.",
    "plan_refused_too_small": "Oda hii ni ndogo mno kugawanywa kwa awamu.",
    "plan_refused_history": "Mipango ya malipo ni kwa wateja waliokwisha kutulipa kwa M-Pesa.",
    "plan_refused_overdue": (
        "Mpango mpya unaweza kuanza awamu iliyopita tarehe yake kwenye mpango wako mwingine "
        "ikishalipwa; angalia /plans."
    ),
    "plan_refused_exists": "Oda {order} tayari ina mpango wa malipo; angalia /plans.",
    "plan_refused_limit": (
        "Mpango wa oda hii ungefanya unachodaiwa kwa mipango kuzidi KES {limit}."
    ),
    # the deposit
    "plan_deposit_sent": (
        "Angalia simu yako na uweke PIN yako ya M-Pesa ili kulipa malipo ya awali ya "
        "KES {amount} kwa oda {order}. Mpango utaanza yakishalipwa."
    ),
    "plan_deposit_paid": (
        "Malipo ya awali yamepokelewa: KES {amount} kwa oda {order}, risiti {receipt}. "
        "Mpango umeanza. Inayofuata: KES {next_amount} tarehe {date}."
    ),
    "plan_deposit_unpaid": (
        "Mpango utaanza malipo ya awali yakishalipwa. Jaribu tena, au acha mpango."
    ),
    "button_plan_deposit": "Lipa malipo ya awali",
    "button_plan_drop": "Acha mpango",
    "plan_dropped": "Mpango wa oda {order} umeachwa. Hakuna kitakachokusanywa kwa ajili yake.",
    "plan_not_droppable": "Mpango huu umeshaanza, kwa hiyo hauwezi kuachwa. Angalia /plans.",
    "plan_not_found": "Hatukupata mpango huu. Angalia /plans kuona mipango yako.",
    # collecting
    "plan_reminder": (
        "Kumbusho: KES {amount} kwa oda {order} (awamu {number} kati ya {count}) inalipwa "
        "kesho, {date}. Tutatuma ombi la M-Pesa {hour}."
    ),
    "plan_due": (
        "Awamu {number} kati ya {count} kwa oda {order}: KES {amount} inalipwa leo. "
        "Angalia simu yako na uweke PIN yako ya M-Pesa."
    ),
    "plan_paid": (
        "Imelipwa: KES {amount} kwa oda {order}, risiti {receipt}. Mpango: KES {paid} "
        "imelipwa, KES {left} imebaki. Inayofuata: KES {next_amount} tarehe {date}."
    ),
    "plan_completed": (
        "Imelipwa: KES {amount} kwa oda {order}, risiti {receipt}. Mpango umekamilika na oda "
        "imelipwa yote. Asante!"
    ),
    "plan_retry_tomorrow": "Tutatuma ombi tena kesho {hour}, au unaweza kulipa sasa.",
    "plan_retry_soon": "Tutatuma ombi tena baada ya saa moja hivi, au unaweza kulipa sasa.",
    "plan_retry_ask": "Unaweza kulipa sasa, au tutatuma ombi tena kesho {hour}.",
    "plan_pay_when_ready": "Unaweza kuilipa sasa wakati wowote ukiwa tayari.",
    "plan_overdue": (
        "Awamu {number} kati ya {count} kwa oda {order}, KES {amount}, imepita tarehe yake. "
        "Tafadhali ilipe unapoweza. Ukihitaji msaada, wasiliana nasi."
    ),
    "plan_overdue_fee": (
        "Ada ya kuchelewa ya KES {fee} imeongezwa, kama ilivyoelezwa kwenye mpango."
    ),
    "plan_all_capped": (
        "M-Pesa inapokea hadi KES 250,000 kwa pamoja, kwa hiyo ombi hili ni la KES {amount}."
    ),
    "button_plan_pay_now": "Lipa sasa",
    "button_plan_next": "Lipa awamu inayofuata sasa",
    "button_plan_all": "Lipa yote sasa",
    # /plans
    "plans_none": (
        "Huna mpango wowote wa malipo. Kulipia oda kwa awamu, chagua Lipa baadaye unapoilipia."
    ),
    "plans_header": "Mipango yako ya malipo:",
    "plans_active": (
        "Oda {order}: KES {paid} imelipwa, KES {left} imebaki. Inayofuata: KES {amount} "
        "tarehe {date}."
    ),
    "plans_overdue": (
        "Oda {order}: KES {paid} imelipwa, KES {left} imebaki. KES {amount} ilitakiwa "
        "tarehe {date}."
    ),
    "plans_pending": "Oda {order}: mpango utaanza malipo ya awali ya KES {amount} yakishalipwa.",
    # dates
    "weekday_0": "Jumatatu",
    "weekday_1": "Jumanne",
    "weekday_2": "Jumatano",
    "weekday_3": "Alhamisi",
    "weekday_4": "Ijumaa",
    "weekday_5": "Jumamosi",
    "weekday_6": "Jumapili",
    # staff (Telegram only)
    "staff_plan_accepted": (
        "{phone} amechagua kulipa {order} (KES {total}) kwa awamu: malipo ya awali ya "
        "KES {amount} na awamu {count}. Inasubiri malipo ya awali."
    ),
    "staff_plan_active": (
        "{phone} amelipa malipo ya awali ya KES {amount} kwa {order} (jumla KES {total}): "
        "mpango umeanza, awamu {count} zinafuata."
    ),
    "staff_plan_overdue": (
        "{phone} hajalipa awamu {number} kati ya {count} ya {order} (KES {amount}) baada ya "
        "majaribio {attempts}. Ameombwa kwa upole alipe."
    ),
    "staff_plan_completed": (
        "{order} sasa imelipwa yote (KES {total}): {phone} amelipa awamu ya mwisho ya mpango."
    ),
    "staff_plan_dropped": "{phone} ameacha mpango wa {order} kabla ya kulipa malipo ya awali.",
    # the grace period, "Move this date" and "Add to next payment" (once per plan each)
    "plan_offer_grace": (
        "Ukikosa kulipa tarehe, una siku {grace} za kulipa kabla haijahesabiwa kuchelewa."
    ),
    "plan_offer_choices": (
        "Mara moja kwa kila mpango unaweza kusogeza tarehe hadi siku 7, na mara moja kuongeza "
        "malipo yaliyokosa kwenye yanayofuata."
    ),
    "plan_offer_fee_cap": "Ada za kuchelewa kwa jumla hazizidi KES {cap} (10% ya oda).",
    "plan_missed_reminder": (
        "KES {amount} kwa oda {order} (awamu {number} kati ya {count}), ya {date}, bado "
        "haijalipwa. Unaweza kuilipa wakati wowote kabla ya {until}."
    ),
    "plan_retry_grace": "Hatutatuma maombi zaidi kwa ajili yake. Unaweza kuilipa kabla ya {until}.",
    "plans_missed": (
        "Oda {order}: KES {paid} imelipwa, KES {left} imebaki. KES {amount} ilitakiwa tarehe "
        "{date}; unaweza kuilipa kabla ya {until}."
    ),
    "button_plan_move": "Sogeza tarehe hii",
    "button_plan_move_to": "Hadi {date}",
    "plan_move_ask": (
        "Sogeza awamu {number} kati ya {count} ya oda {order} (KES {amount}, {date}) hadi "
        "siku gani? Hii ni mara moja kwa kila mpango."
    ),
    "plan_moved": (
        "Sawa: awamu {number} kati ya {count} ya oda {order}, KES {amount}, sasa ni tarehe "
        "{date}. Tutakukumbusha siku moja kabla."
    ),
    "plan_move_used": (
        "Tarehe inasogezwa mara moja kwa kila mpango, na mpango huu umeshafanya hivyo."
    ),
    "plan_move_none": "Hakuna awamu inayokuja kwenye mpango huu ya kusogeza.",
    "button_plan_roll": "Ongeza kwenye ijayo",
    "plan_rolled": (
        "Sawa: KES {amount} ya awamu {number} imeongezwa kwenye malipo yajayo: KES {next_amount} "
        "tarehe {date}. Hakuna ombi litakalotumwa kabla ya hapo."
    ),
    "plan_roll_used": (
        "Malipo yaliyokosa huongezwa kwenye yajayo mara moja kwa kila mpango, na mpango huu "
        "umeshafanya hivyo."
    ),
    "plan_roll_none": "Hakuna awamu iliyokosa kwenye mpango huu ya kuongeza kwenye malipo yajayo.",
    "plan_roll_too_large": (
        "Kwa pamoja zingezidi kiasi M-Pesa inachopokea kwa mara moja (KES 250,000), kwa hiyo "
        "zinabaki tofauti."
    ),
    "staff_plan_moved": (
        "{phone} amesogeza awamu {number} kati ya {count} ya {order} (KES {amount}) kutoka "
        "{old} hadi {new}."
    ),
    "staff_plan_rolled": (
        "{phone} ameongeza awamu iliyokosa {number} ya {order} (KES {amount}) kwenye awamu "
        "{next_number}, sasa KES {next_amount}."
    ),
}
