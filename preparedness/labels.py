"""Translated labels of the fixed vocabularies: team capabilities, deployment statuses, CAP
values, response levels and the kinds of incident plans are written for."""

from core.i18n import lazy_gettext

# The first six follow the parts of the Ministry of Emergency Management's basic specification
# for social emergency forces (YJ/T 1.1-1.6: collapsed buildings, mountain, water, diving,
# emergency medical); the rest are the support roles relief teams fill in Chinese floods.
CAPABILITIES = {
    "collapsed_structure_sar": lazy_gettext("Search and rescue in collapsed structures"),
    "mountain_sar": lazy_gettext("Mountain search and rescue"),
    "water_rescue": lazy_gettext("Water search and rescue"),
    "diving_rescue": lazy_gettext("Diving rescue"),
    "medical_first_aid": lazy_gettext("Emergency medical first aid"),
    "psychological_support": lazy_gettext("Psychological support"),
    "logistics_transport": lazy_gettext("Logistics and transport"),
    "communications": lazy_gettext("Emergency communications"),
    "sanitation_disinfection": lazy_gettext("Sanitation and disinfection"),
    "heavy_machinery": lazy_gettext("Heavy machinery"),
}

DEPLOYMENT_STATUS = {
    "requested": lazy_gettext("requested"),
    "accepted": lazy_gettext("accepted"),
    "declined": lazy_gettext("declined"),
    "on_site": lazy_gettext("on site"),
    "completed": lazy_gettext("completed"),
}

# CAP 1.2's own values stay in the CAP file; pages put them in the reader's words.
CAP_VALUES = {
    "Immediate": lazy_gettext("act now"),
    "Expected": lazy_gettext("act within the next hour"),
    "Future": lazy_gettext("act in the near future"),
    "Past": lazy_gettext("no action needed any more"),
    "Extreme": lazy_gettext("extreme threat"),
    "Severe": lazy_gettext("severe threat"),
    "Moderate": lazy_gettext("moderate threat"),
    "Minor": lazy_gettext("minor threat"),
    "Observed": lazy_gettext("observed"),
    "Likely": lazy_gettext("likely"),
    "Possible": lazy_gettext("possible"),
    "Unlikely": lazy_gettext("unlikely"),
    "Unknown": lazy_gettext("unknown"),
}

# Response levels on China's scale, I the most severe.
LEVELS = {
    1: lazy_gettext("Level I"),
    2: lazy_gettext("Level II"),
    3: lazy_gettext("Level III"),
    4: lazy_gettext("Level IV"),
}

# The kinds of incident a plan is written for, as the plan form offers them (the API takes
# any name; pages show these in the reader's words, others as written).
INCIDENT_TYPES = {
    "flood": lazy_gettext("Flood"),
    "earthquake": lazy_gettext("Earthquake"),
    "typhoon": lazy_gettext("Typhoon"),
    "landslide": lazy_gettext("Landslide or mudslide"),
    "drought": lazy_gettext("Drought"),
    "fire": lazy_gettext("Fire"),
    "explosion": lazy_gettext("Explosion"),
    "hazardous_chemicals": lazy_gettext("Hazardous chemicals accident"),
    "epidemic": lazy_gettext("Epidemic"),
}
