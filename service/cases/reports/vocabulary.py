"""The names a quarterly return counts by: referral sources, advocacy types, milestones, outcome measures."""

from __future__ import annotations

from service.cases.end_reasons import END_REASONS

SOURCES = ("self", "family", "social_worker", "health", "care_provider", "other")
ADVOCACY_TYPES = ("care_act", "ipa_wales", "imca", "imha", "generic")
URGENCIES = ("urgent", "standard")
MILESTONES = ("allocation", "first_contact")
MEASURES = ("informed", "involved", "negotiated", "personal_achieved", "empowered")
ANSWERS = ("yes", "partly", "no")
ESCALATION_OUTCOMES = (
    "resolved",
    "remedy_accepted",
    "improved",
    "contract_continued",
    "decommissioned",
    "cancelled",
    "in_progress",
)
STAGES = ("analyse", "plan", "deliver", "review")
COMPLAINT_OUTCOMES = ("upheld", "partly_upheld", "not_upheld", "withdrawn", "in_progress", "cancelled")
COMPLAINT_MILESTONES = ("complaint_acknowledgement", "complaint_response")
ENDED_EARLY = END_REASONS
NOT_RECORDED = "not_recorded"  # an equality field left empty
PREFER_NOT = "prefer_not_to_say"
# Equality and communication monitoring (DOMAIN.md, second edition): each field's values, in order.
EQUALITY: dict[str, tuple[str, ...]] = {
    "age_band": ("under_18", "18_24", "25_34", "35_44", "45_54", "55_64", "65_74", "75_84", "85_plus"),
    "sex": ("female", "male", "other"),
    "ethnicity": ("asian", "black", "mixed", "white", "other"),
    "disability": ("yes", "no"),
    "primary_need": (
        "learning_disability",
        "mental_health",
        "dementia",
        "physical_disability",
        "sensory",
        "autism",
        "acquired_brain_injury",
        "other",
    ),
    "carer": ("yes", "no"),
    "preferred_language": ("en", "cy", "other"),
    "communication_needs": ("bsl", "interpreter", "easy_read", "large_print", "hearing_loop", "none"),
}
EQUALITY = {field: (*values, PREFER_NOT) for field, values in EQUALITY.items()}
LIST_FIELDS = ("communication_needs",)  # an array: each need counts

# What people read for each name, in English and Welsh (the names themselves never change with the language).
_LABELS: dict[str, tuple[str, str]] = {
    "self": ("Self", "Yr unigolyn ei hun"),
    "family": ("Family", "Teulu"),
    "social_worker": ("Social worker", "Gweithiwr cymdeithasol"),
    "health": ("Health", "Iechyd"),
    "care_provider": ("Care provider", "Darparwr gofal"),
    "other": ("Other", "Arall"),
    "care_act": ("Care Act advocacy", "Eiriolaeth Deddf Gofal"),
    "ipa_wales": ("Independent professional advocacy (Wales)", "Eiriolaeth broffesiynol annibynnol (Cymru)"),
    "imca": ("IMCA", "IMCA (eiriolwr galluedd meddyliol annibynnol)"),
    "imha": ("IMHA", "IMHA (eiriolwr iechyd meddwl annibynnol)"),
    "generic": ("Generic advocacy", "Eiriolaeth gyffredinol"),
    "urgent": ("Urgent", "Brys"),
    "standard": ("Standard", "Safonol"),
    "allocation": ("Allocation", "Dyrannu"),
    "first_contact": ("First contact", "Cyswllt cyntaf"),
    # the other SLA milestones (second edition), named on the case page's deadlines and the dashboard
    "escalation_response": ("Escalation response", "Ymateb i'r uwchgyfeiriad"),
    "safeguarding_decision": ("Safeguarding decision", "Penderfyniad diogelu"),
    "complaint_acknowledgement": ("Complaint acknowledgement", "Cydnabod y gŵyn"),
    "complaint_response": ("Complaint response", "Ymateb i'r gŵyn"),
    "informed": ("Informed", "Wedi cael gwybodaeth"),
    "involved": ("Involved", "Wedi cymryd rhan"),
    "negotiated": ("Negotiated", "Wedi negodi"),
    "personal_achieved": ("Personal outcome achieved", "Canlyniad personol wedi'i gyflawni"),
    "empowered": ("Empowered", "Wedi'i rymuso"),
    "yes": ("Yes", "Ydy"),
    "partly": ("Partly", "Yn rhannol"),
    "no": ("No", "Nac ydy"),
    "resolved": ("Resolved", "Wedi'i ddatrys"),
    "remedy_accepted": ("Remedy accepted", "Derbyniwyd yr adferiad"),
    "improved": ("Improved", "Wedi gwella"),
    "contract_continued": ("Contract continued", "Parhawyd â'r contract"),
    "decommissioned": ("Decommissioned", "Datgomisiynwyd"),
    "cancelled": ("Cancelled", "Wedi'i ganslo"),
    "in_progress": ("In progress", "Ar y gweill"),
    "analyse": ("Analyse", "Dadansoddi"),
    "plan": ("Plan", "Cynllunio"),
    "deliver": ("Deliver", "Cyflawni"),
    "review": ("Review", "Adolygu"),
    "eligible": ("Eligible", "Yn gymwys"),
    "not_eligible": ("Not eligible", "Ddim yn gymwys"),
    "pending": ("Pending", "Yn yr arfaeth"),
    # The second edition's sections of the return.
    "safeguarding": ("Safeguarding", "Diogelu"),
    "concerns": ("Safeguarding concerns raised", "Pryderon diogelu a godwyd"),
    "referred": ("Referred to the local authority", "Atgyfeiriwyd at yr awdurdod lleol"),
    "decision_in_time": ("Decided within the target", "Penderfyniad o fewn y targed"),
    "complaints": ("Complaints", "Cwynion"),
    "received": ("Complaints received", "Cwynion a dderbyniwyd"),
    "by_outcome": ("By outcome", "Yn ôl canlyniad"),
    "acknowledged_in_time": ("Acknowledged within the target", "Cydnabuwyd o fewn y targed"),
    "responded_in_time": ("Responded to within the target", "Ymatebwyd o fewn y targed"),
    "upheld": ("Upheld", "Cadarnhawyd"),
    "partly_upheld": ("Partly upheld", "Cadarnhawyd yn rhannol"),
    "not_upheld": ("Not upheld", "Ni chadarnhawyd"),
    "withdrawn": ("Withdrawn", "Tynnwyd yn ôl"),
    "equality": ("Equality and communication monitoring", "Monitro cydraddoldeb a chyfathrebu"),
    "age_band": ("Age band", "Band oedran"),
    "under_18": ("Under 18", "Dan 18"),
    "18_24": ("18 to 24", "18 i 24"),
    "25_34": ("25 to 34", "25 i 34"),
    "35_44": ("35 to 44", "35 i 44"),
    "45_54": ("45 to 54", "45 i 54"),
    "55_64": ("55 to 64", "55 i 64"),
    "65_74": ("65 to 74", "65 i 74"),
    "75_84": ("75 to 84", "75 i 84"),
    "85_plus": ("85 or over", "85 neu hŷn"),
    "sex": ("Sex", "Rhyw"),
    "female": ("Female", "Benyw"),
    "male": ("Male", "Gwryw"),
    "ethnicity": ("Ethnic group", "Grŵp ethnig"),
    "asian": ("Asian or Asian British", "Asiaidd neu Asiaidd Prydeinig"),
    "black": ("Black, Black British, Caribbean or African", "Du, Du Prydeinig, Caribïaidd neu Affricanaidd"),
    "mixed": ("Mixed or multiple ethnic groups", "Grwpiau ethnig cymysg neu luosog"),
    "white": ("White", "Gwyn"),
    "disability": ("Disability", "Anabledd"),
    "primary_need": ("Primary need", "Prif angen"),
    "learning_disability": ("Learning disability", "Anabledd dysgu"),
    "mental_health": ("Mental health", "Iechyd meddwl"),
    "dementia": ("Dementia", "Dementia"),
    "physical_disability": ("Physical disability", "Anabledd corfforol"),
    "sensory": ("Sensory impairment", "Nam ar y synhwyrau"),
    "autism": ("Autism", "Awtistiaeth"),
    "acquired_brain_injury": ("Acquired brain injury", "Anaf caffaeledig i'r ymennydd"),
    "carer": ("Unpaid carer", "Gofalwr di-dâl"),
    "preferred_language": ("Preferred language", "Dewis iaith"),
    "en": ("English", "Saesneg"),
    "cy": ("Welsh", "Cymraeg"),
    "communication_needs": ("Communication needs", "Anghenion cyfathrebu"),
    "bsl": ("British Sign Language", "Iaith Arwyddion Prydain"),
    "interpreter": ("Spoken-language interpreter", "Cyfieithydd iaith lafar"),
    "easy_read": ("Easy read", "Hawdd ei ddarllen"),
    "large_print": ("Large print", "Print bras"),
    "hearing_loop": ("Hearing loop", "Dolen sain"),
    "none": ("None", "Dim"),
    "prefer_not_to_say": ("Prefers not to say", "Mae'n well ganddynt beidio â dweud"),
    "not_recorded": ("Not recorded", "Heb ei gofnodi"),
    "ended_early": ("Cases ended early", "Achosion a ddaeth i ben yn gynnar"),
    "person_declined": ("The person declined advocacy", "Gwrthododd yr unigolyn eiriolaeth"),
    "person_died": ("The person died", "Bu farw'r unigolyn"),
    "moved_out_of_area": ("Moved out of the area", "Symudodd yr unigolyn o'r ardal"),
    "no_longer_eligible": ("No longer eligible", "Nid yw'r unigolyn yn gymwys mwyach"),
    "referred_elsewhere": ("Referred elsewhere", "Atgyfeiriwyd at wasanaeth arall"),
    "duplicate": ("A duplicate referral", "Atgyfeiriad dyblyg"),
    "welsh_medium": ("Welsh-medium advocacy", "Eiriolaeth cyfrwng Cymraeg"),
    "requested": ("Requested", "Gofynnwyd amdani"),
    "provided": ("Provided by a Welsh-speaking advocate", "Darparwyd gan eiriolwr sy'n siarad Cymraeg"),
    "outcomes": ("Outcomes", "Canlyniadau"),
    "rights_upheld": ("Rights upheld (non-instructed)", "Hawliau wedi'u cynnal (heb gyfarwyddyd)"),
    "voice_heard_rate": ("Voice heard (instructed)", "Llais wedi'i glywed (a gyfarwyddir)"),
}
# The quarterly return's CSV columns: the figure (a dotted key, never translated) and its value.
CSV_HEADERS = {"en": ("figure", "value"), "cy": ("ffigur", "gwerth")}


def labels(language: str = "en") -> dict[str, str]:
    """Each name of the vocabulary as people read it in ``language`` ("en" or "cy"; others: English)."""
    index = 1 if language == "cy" else 0
    return {key: pair[index] for key, pair in _LABELS.items()}


def label(key: str, language: str = "en") -> str:
    return labels(language).get(key, key.replace("_", " ").capitalize())
