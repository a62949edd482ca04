"""Words for the demo marketplace (`manage.py demo_load`): places, specialties, and the
templates that turn them into profile titles, overviews and job posts.

Everything here is plain data plus pure functions of a `random.Random`, so the command can
seed one generator per demo object and get the same text on every machine. Skill names must
be on the catalog's skill list (openlance/catalog/data.py); a test checks that they are.
"""

from __future__ import annotations

import random
from dataclasses import dataclass

# --- places ------------------------------------------------------------------------------


@dataclass(frozen=True)
class Place:
    code: str  # ISO 3166-1 alpha-2
    name: str  # as used in a sentence ("the US", "Germany")
    locale: str  # Faker locale for names and company names ("" = our own name list)
    cities: tuple[tuple[str, str], ...]  # (city, IANA time zone)
    english: tuple[str, ...]  # English levels a freelancer here is likely to pick
    rate_factor: float  # local price level, applied to a specialty's rate range
    schools: tuple[str, ...]


PLACES: dict[str, Place] = {
    place.code: place
    for place in [
        Place(
            "US",
            "the US",
            "en_US",
            (
                ("New York", "America/New_York"),
                ("Austin", "America/Chicago"),
                ("Chicago", "America/Chicago"),
                ("Denver", "America/Denver"),
                ("Seattle", "America/Los_Angeles"),
                ("San Diego", "America/Los_Angeles"),
                ("Atlanta", "America/New_York"),
                ("Boston", "America/New_York"),
                ("Portland", "America/Los_Angeles"),
                ("Miami", "America/New_York"),
                ("Minneapolis", "America/Chicago"),
                ("Phoenix", "America/Phoenix"),
                ("Raleigh", "America/New_York"),
                ("Nashville", "America/Chicago"),
            ),
            ("native",) * 9 + ("fluent",),
            1.0,
            (
                "University of Texas at Austin",
                "Ohio State University",
                "University of Washington",
                "Arizona State University",
                "New York University",
                "University of Michigan",
                "Georgia State University",
                "Portland State University",
            ),
        ),
        Place(
            "GB",
            "the UK",
            "en_GB",
            (
                ("London", "Europe/London"),
                ("Manchester", "Europe/London"),
                ("Bristol", "Europe/London"),
                ("Leeds", "Europe/London"),
                ("Edinburgh", "Europe/London"),
                ("Brighton", "Europe/London"),
            ),
            ("native",) * 9 + ("fluent",),
            0.95,
            (
                "University of Manchester",
                "University of Leeds",
                "University of Edinburgh",
                "King's College London",
                "University of Bristol",
            ),
        ),
        Place(
            "CA",
            "Canada",
            "en_CA",
            (
                ("Toronto", "America/Toronto"),
                ("Vancouver", "America/Vancouver"),
                ("Montreal", "America/Toronto"),
                ("Calgary", "America/Edmonton"),
                ("Ottawa", "America/Toronto"),
                ("Halifax", "America/Halifax"),
            ),
            ("native",) * 7 + ("fluent",) * 3,
            0.9,
            (
                "University of Toronto",
                "University of British Columbia",
                "McGill University",
                "Ryerson University",
                "University of Calgary",
            ),
        ),
        Place(
            "IN",
            "India",
            "en_IN",
            (
                ("Bengaluru", "Asia/Kolkata"),
                ("Pune", "Asia/Kolkata"),
                ("Hyderabad", "Asia/Kolkata"),
                ("Mumbai", "Asia/Kolkata"),
                ("New Delhi", "Asia/Kolkata"),
                ("Chennai", "Asia/Kolkata"),
                ("Jaipur", "Asia/Kolkata"),
                ("Kochi", "Asia/Kolkata"),
            ),
            ("fluent",) * 7 + ("conversational",) * 2 + ("native",),
            0.45,
            (
                "University of Pune",
                "Anna University",
                "University of Mumbai",
                "Delhi University",
                "Osmania University",
                "VIT Vellore",
            ),
        ),
        Place(
            "PH",
            "the Philippines",
            "en_PH",
            (
                ("Manila", "Asia/Manila"),
                ("Cebu City", "Asia/Manila"),
                ("Davao City", "Asia/Manila"),
                ("Quezon City", "Asia/Manila"),
                ("Iloilo City", "Asia/Manila"),
            ),
            ("fluent",) * 8 + ("native",) * 2,
            0.4,
            (
                "University of the Philippines",
                "Ateneo de Manila University",
                "University of San Carlos",
                "De La Salle University",
            ),
        ),
        Place(
            "UA",
            "Ukraine",
            "",
            (
                ("Kyiv", "Europe/Kyiv"),
                ("Lviv", "Europe/Kyiv"),
                ("Kharkiv", "Europe/Kyiv"),
                ("Odesa", "Europe/Kyiv"),
                ("Dnipro", "Europe/Kyiv"),
            ),
            ("conversational",) * 4 + ("fluent",) * 6,
            0.65,
            (
                "Taras Shevchenko National University of Kyiv",
                "Lviv Polytechnic National University",
                "Kharkiv National University of Radioelectronics",
                "Igor Sikorsky Kyiv Polytechnic Institute",
            ),
        ),
        Place(
            "BR",
            "Brazil",
            "pt_BR",
            (
                ("São Paulo", "America/Sao_Paulo"),
                ("Rio de Janeiro", "America/Sao_Paulo"),
                ("Belo Horizonte", "America/Sao_Paulo"),
                ("Curitiba", "America/Sao_Paulo"),
                ("Florianópolis", "America/Sao_Paulo"),
                ("Recife", "America/Recife"),
            ),
            ("conversational",) * 5 + ("fluent",) * 5,
            0.6,
            (
                "Universidade de São Paulo",
                "Universidade Federal de Minas Gerais",
                "PUC-Rio",
                "Universidade Federal do Paraná",
            ),
        ),
        Place(
            "DE",
            "Germany",
            "de_DE",
            (
                ("Berlin", "Europe/Berlin"),
                ("Hamburg", "Europe/Berlin"),
                ("Munich", "Europe/Berlin"),
                ("Cologne", "Europe/Berlin"),
                ("Leipzig", "Europe/Berlin"),
            ),
            ("fluent",) * 7 + ("conversational",) * 3,
            0.95,
            (
                "Technische Universität Berlin",
                "Universität Hamburg",
                "LMU Munich",
                "Universität zu Köln",
            ),
        ),
        Place(
            "NG",
            "Nigeria",
            "en_NG",
            (
                ("Lagos", "Africa/Lagos"),
                ("Abuja", "Africa/Lagos"),
                ("Ibadan", "Africa/Lagos"),
                ("Port Harcourt", "Africa/Lagos"),
                ("Enugu", "Africa/Lagos"),
            ),
            ("fluent",) * 7 + ("native",) * 3,
            0.45,
            (
                "University of Lagos",
                "University of Ibadan",
                "Obafemi Awolowo University",
                "Covenant University",
            ),
        ),
        Place(
            "PK",
            "Pakistan",
            "en_PK",
            (
                ("Lahore", "Asia/Karachi"),
                ("Karachi", "Asia/Karachi"),
                ("Islamabad", "Asia/Karachi"),
                ("Faisalabad", "Asia/Karachi"),
                ("Rawalpindi", "Asia/Karachi"),
            ),
            ("fluent",) * 6 + ("conversational",) * 4,
            0.4,
            (
                "Lahore University of Management Sciences",
                "NUST Islamabad",
                "University of the Punjab",
                "FAST National University",
            ),
        ),
        Place(
            "PL",
            "Poland",
            "pl_PL",
            (
                ("Warsaw", "Europe/Warsaw"),
                ("Kraków", "Europe/Warsaw"),
                ("Wrocław", "Europe/Warsaw"),
                ("Gdańsk", "Europe/Warsaw"),
                ("Poznań", "Europe/Warsaw"),
            ),
            ("fluent",) * 6 + ("conversational",) * 4,
            0.7,
            ("University of Warsaw", "AGH University of Kraków", "Wrocław University of Science"),
        ),
        Place(
            "ES",
            "Spain",
            "es_ES",
            (
                ("Madrid", "Europe/Madrid"),
                ("Barcelona", "Europe/Madrid"),
                ("Valencia", "Europe/Madrid"),
                ("Seville", "Europe/Madrid"),
            ),
            ("fluent",) * 5 + ("conversational",) * 5,
            0.75,
            ("Universidad Complutense de Madrid", "Universitat de Barcelona"),
        ),
        Place(
            "FR",
            "France",
            "fr_FR",
            (
                ("Paris", "Europe/Paris"),
                ("Lyon", "Europe/Paris"),
                ("Nantes", "Europe/Paris"),
                ("Bordeaux", "Europe/Paris"),
                ("Lille", "Europe/Paris"),
            ),
            ("fluent",) * 5 + ("conversational",) * 5,
            0.85,
            ("Sorbonne Université", "Université de Lyon", "Sciences Po"),
        ),
        Place(
            "IT",
            "Italy",
            "it_IT",
            (
                ("Milan", "Europe/Rome"),
                ("Rome", "Europe/Rome"),
                ("Turin", "Europe/Rome"),
                ("Bologna", "Europe/Rome"),
            ),
            ("fluent",) * 4 + ("conversational",) * 6,
            0.75,
            ("Politecnico di Milano", "Università di Bologna", "Sapienza University of Rome"),
        ),
        Place(
            "NL",
            "the Netherlands",
            "nl_NL",
            (
                ("Amsterdam", "Europe/Amsterdam"),
                ("Rotterdam", "Europe/Amsterdam"),
                ("Utrecht", "Europe/Amsterdam"),
                ("Eindhoven", "Europe/Amsterdam"),
            ),
            ("fluent",) * 8 + ("native",) * 2,
            0.95,
            ("University of Amsterdam", "TU Delft", "Utrecht University"),
        ),
        Place(
            "AU",
            "Australia",
            "en_AU",
            (
                ("Sydney", "Australia/Sydney"),
                ("Melbourne", "Australia/Melbourne"),
                ("Brisbane", "Australia/Brisbane"),
                ("Perth", "Australia/Perth"),
            ),
            ("native",) * 9 + ("fluent",),
            1.0,
            ("University of Sydney", "Monash University"),
        ),
        Place(
            "IE",
            "Ireland",
            "en_IE",
            (("Dublin", "Europe/Dublin"), ("Cork", "Europe/Dublin"), ("Galway", "Europe/Dublin")),
            ("native",) * 9 + ("fluent",),
            0.95,
            ("Trinity College Dublin", "University College Cork"),
        ),
        Place(
            "SG",
            "Singapore",
            "en_US",
            (("Singapore", "Asia/Singapore"),),
            ("fluent",) * 5 + ("native",) * 5,
            1.0,
            ("National University of Singapore",),
        ),
        Place(
            "AE",
            "the United Arab Emirates",
            "en_US",
            (("Dubai", "Asia/Dubai"), ("Abu Dhabi", "Asia/Dubai")),
            ("fluent",),
            1.0,
            ("American University of Sharjah",),
        ),
        Place(
            "IL",
            "Israel",
            "en_US",
            (("Tel Aviv", "Asia/Jerusalem"), ("Haifa", "Asia/Jerusalem")),
            ("fluent",),
            1.0,
            ("Tel Aviv University",),
        ),
        Place(
            "SE",
            "Sweden",
            "sv_SE",
            (("Stockholm", "Europe/Stockholm"), ("Gothenburg", "Europe/Stockholm")),
            ("fluent",),
            1.0,
            ("KTH Royal Institute of Technology",),
        ),
        Place(
            "CH",
            "Switzerland",
            "de_CH",
            (("Zurich", "Europe/Zurich"), ("Geneva", "Europe/Zurich"), ("Basel", "Europe/Zurich")),
            ("fluent",),
            1.0,
            ("ETH Zurich",),
        ),
    ]
}

# Where demo freelancers and clients live, as weights (freelancers: about 35% in the US).
FREELANCER_COUNTRIES: dict[str, int] = {
    "US": 35,
    "GB": 8,
    "CA": 6,
    "IN": 11,
    "PH": 8,
    "UA": 6,
    "BR": 5,
    "DE": 4,
    "NG": 4,
    "PK": 4,
    "PL": 3,
    "ES": 2,
    "FR": 2,
    "NL": 2,
}
CLIENT_COUNTRIES: dict[str, int] = {
    "US": 45,
    "GB": 10,
    "CA": 7,
    "AU": 7,
    "DE": 6,
    "NL": 4,
    "FR": 3,
    "IE": 3,
    "SG": 3,
    "AE": 3,
    "IN": 3,
    "IL": 2,
    "SE": 2,
    "CH": 2,
}

# Faker has no Latin-script Ukrainian names; these are transliterated the usual way.
UKRAINIAN_FIRST_NAMES = [
    "Olena",
    "Andriy",
    "Oksana",
    "Dmytro",
    "Iryna",
    "Taras",
    "Kateryna",
    "Serhiy",
    "Yulia",
    "Oleksandr",
    "Nataliya",
    "Bohdan",
    "Mariya",
    "Volodymyr",
    "Anastasiya",
    "Yaroslav",
    "Sofiia",
    "Maksym",
    "Viktoriia",
    "Mykola",
]
UKRAINIAN_LAST_NAMES = [
    "Shevchenko",
    "Kovalenko",
    "Bondarenko",
    "Tkachenko",
    "Kravchenko",
    "Melnyk",
    "Boyko",
    "Kovalchuk",
    "Oliynyk",
    "Lysenko",
    "Marchenko",
    "Rudenko",
    "Savchenko",
    "Petrenko",
    "Moroz",
    "Hrytsenko",
    "Pavlenko",
    "Kuzmenko",
]


def weighted(rng: random.Random, weights: dict[str, int]) -> str:
    return rng.choices(list(weights), weights=list(weights.values()))[0]


# --- specialties -------------------------------------------------------------------------


@dataclass(frozen=True)
class Specialty:
    """One kind of freelance work: what a freelancer sells and what a client posts."""

    key: str
    category: str  # catalog category name
    role: str  # "content writer": used in sentences
    titles: tuple[str, ...]  # profile titles
    core_skills: tuple[str, ...]  # always on the profile (the first two on every job)
    more_skills: tuple[str, ...]  # some of these
    tools: tuple[str, ...]
    audiences: tuple[str, ...]  # whom they work for (plural noun phrases)
    goal: str  # "...helping {audience} {goal}"
    work: tuple[str, ...]  # typical deliverables
    results: tuple[str, ...]  # one sentence each
    rate: tuple[int, int]  # US-level hourly rate range in dollars
    portfolio: tuple[str, ...]  # portfolio item titles
    assessments: tuple[str, ...]
    job_intro: tuple[str, ...]  # what the client needs, with {topic} from JOB_IDEAS
    tasks: tuple[str, ...]  # "What you'll do" bullets
    questions: tuple[str, ...]  # screening questions
    related: tuple[str, ...] = ()  # specialty keys for a freelancer's specialized profiles


SPECIALTIES: tuple[Specialty, ...] = (
    # --- Web, Mobile & Software Dev ---
    Specialty(
        key="django",
        category="Web, Mobile & Software Dev",
        role="Python and Django developer",
        titles=(
            "Python & Django Developer",
            "Senior Django Developer for SaaS Back Ends",
            "Django / PostgreSQL Back-End Engineer",
            "Full-Stack Python Developer (Django, React)",
            "Python Developer: APIs, Integrations, Automation",
        ),
        core_skills=("Python", "Django"),
        more_skills=("PostgreSQL", "REST API", "JavaScript", "React", "Docker", "AWS", "HTML"),
        tools=("Django", "Django REST Framework", "Celery", "PostgreSQL", "pytest", "Docker"),
        audiences=("early-stage SaaS teams", "agencies that need a back-end partner", "startups"),
        goal="ship reliable back ends without a full-time hire",
        work=(
            "REST and GraphQL APIs",
            "admin dashboards",
            "payment and CRM integrations",
            "upgrades of old Django projects",
            "background jobs and reporting",
        ),
        results=(
            "I took a logistics company's Django 1.11 code base to Django 5 with zero downtime.",
            "A billing API I built for a B2B startup now handles about 40,000 invoices a month.",
            "I cut a client's slowest report from 90 seconds to under 2 by fixing its queries.",
        ),
        rate=(35, 140),
        portfolio=(
            "Subscription billing API for a SaaS",
            "Inventory dashboard for a wholesaler",
            "Django 5 upgrade of a booking platform",
            "Open-source Django package for audit logs",
        ),
        assessments=("Python 3 Skills Test", "Django Framework Test", "SQL Fundamentals"),
        job_intro=(
            "We need an experienced Django developer for {topic}.",
            "Our small team is looking for a Python developer to help with {topic}.",
        ),
        tasks=(
            "Design the data model and write the Django models and migrations",
            "Build REST endpoints with tests (pytest) for each of them",
            "Review and improve our existing code where it gets in the way",
            "Set up background jobs for emails and nightly reports",
            "Document how to run and deploy the project",
        ),
        questions=(
            "Which Django project are you proudest of, and what was your part in it?",
            "How do you keep database queries fast as a Django app grows?",
            "Have you upgraded a Django project across several major versions?",
        ),
        related=("react", "scraping"),
    ),
    Specialty(
        key="react",
        category="Web, Mobile & Software Dev",
        role="front-end developer",
        titles=(
            "Front-End Developer: React & TypeScript",
            "React Developer for Dashboards and Web Apps",
            "Senior Front-End Engineer (React, Next.js)",
            "UI Engineer: React, TypeScript, Accessibility",
        ),
        core_skills=("React", "JavaScript", "TypeScript"),
        more_skills=("HTML", "CSS", "Node.js", "GraphQL", "REST API", "Vue.js", "UI Design"),
        tools=("React", "Next.js", "TypeScript", "Tailwind CSS", "Storybook", "Playwright"),
        audiences=("product teams", "SaaS founders", "design agencies"),
        goal="turn designs into fast, accessible interfaces",
        work=(
            "single-page apps",
            "admin dashboards",
            "component libraries",
            "landing pages",
            "performance and accessibility fixes",
        ),
        results=(
            "I rebuilt an analytics dashboard in React; its load time fell from 6 s to 1.5 s.",
            "A component library I set up is now shared by four product teams.",
            "I brought a checkout flow to WCAG 2.1 AA ahead of a client's public-sector launch.",
        ),
        rate=(30, 130),
        portfolio=(
            "Analytics dashboard in React",
            "Design-system component library",
            "Marketing site in Next.js",
            "Accessible checkout flow",
        ),
        assessments=("JavaScript Skills Test", "React.js Test", "HTML5 and CSS3 Test"),
        job_intro=(
            "We have finished designs in Figma and need a React developer to build {topic}.",
            "We're looking for a front-end developer who cares about detail to build {topic}.",
        ),
        tasks=(
            "Build responsive pages and components from our Figma files",
            "Connect them to our existing REST API",
            "Write component tests and a few end-to-end tests",
            "Keep the result accessible (keyboard, screen readers, contrast)",
        ),
        questions=(
            "Please link to a React project you built and say which parts were yours.",
            "How do you manage state in a medium-sized React app?",
        ),
        related=("django", "uiux"),
    ),
    Specialty(
        key="fullstack-js",
        category="Web, Mobile & Software Dev",
        role="full-stack JavaScript developer",
        titles=(
            "Full-Stack JavaScript Developer (Node.js, React)",
            "Node.js & React Developer for MVPs",
            "Full-Stack Engineer: TypeScript, Node.js, PostgreSQL",
        ),
        core_skills=("Node.js", "JavaScript", "React"),
        more_skills=(
            "TypeScript",
            "PostgreSQL",
            "MySQL",
            "GraphQL",
            "REST API",
            "AWS",
            "Docker",
            "Ruby on Rails",
            "Go",
        ),
        tools=("Node.js", "Express", "NestJS", "React", "Prisma", "PostgreSQL"),
        audiences=("non-technical founders", "startups", "small businesses"),
        goal="go from an idea to a working product",
        work=("MVPs", "REST APIs", "real-time features", "third-party integrations"),
        results=(
            "I built a scheduling app's MVP in eight weeks; it raised a seed round a month later.",
            "I moved a client's Node.js API to TypeScript and their bug reports halved.",
        ),
        rate=(30, 130),
        portfolio=("Scheduling app MVP", "Real-time chat for a marketplace", "Shopify to ERP sync"),
        assessments=("JavaScript Skills Test", "Node.js Test"),
        job_intro=(
            "We are a two-person startup and need a full-stack developer to build {topic}.",
            "We're looking for someone to own {topic} from database to UI.",
        ),
        tasks=(
            "Plan the first version with us and cut it down to what matters",
            "Build the API in Node.js and the front end in React",
            "Set up hosting, CI and error tracking",
            "Hand over a code base another developer can pick up",
        ),
        questions=(
            "What is the last MVP you shipped, and how long did it take?",
            "Which hosting would you choose for this and why?",
        ),
        related=("react",),
    ),
    Specialty(
        key="wordpress",
        category="Web, Mobile & Software Dev",
        role="WordPress developer",
        titles=(
            "WordPress Developer: Custom Themes & Speed",
            "WordPress & WooCommerce Expert",
            "WordPress Website Designer and Developer",
            "Elementor and WordPress Specialist",
        ),
        core_skills=("WordPress", "PHP"),
        more_skills=("HTML", "CSS", "JavaScript", "MySQL", "SEO", "Web Scraping"),
        tools=("WordPress", "WooCommerce", "Elementor", "Advanced Custom Fields", "WP-CLI"),
        audiences=("small businesses", "bloggers", "marketing agencies", "online shops"),
        goal="get websites that load fast and are easy to edit",
        work=(
            "custom themes",
            "WooCommerce shops",
            "site speed fixes",
            "plugin customisation",
            "site migrations",
        ),
        results=(
            "I rebuilt a dentist's WordPress site and its PageSpeed score went from 38 to 94.",
            "I moved a 2,000-product WooCommerce shop to a new host without losing an order.",
        ),
        rate=(15, 90),
        portfolio=("WooCommerce shop for a bakery", "Custom theme for a law firm", "Speed fix"),
        assessments=("WordPress Test", "PHP 7 Skills Test"),
        job_intro=(
            "We need a WordPress developer for {topic}.",
            "Our WordPress site is slow and hard to edit; we want help with {topic}.",
        ),
        tasks=(
            "Build or adjust the theme to match our new design",
            "Make the site load in under two seconds on mobile",
            "Set up the plugins we need and remove the ones we don't",
            "Show our team how to edit pages without breaking them",
        ),
        questions=(
            "Please share two WordPress sites you built and your PageSpeed scores for them.",
            "Do you build with page builders, custom themes, or both?",
        ),
        related=("shopify",),
    ),
    Specialty(
        key="shopify",
        category="Web, Mobile & Software Dev",
        role="Shopify developer",
        titles=(
            "Shopify Developer & Store Designer",
            "Shopify Expert: Themes, Apps, Conversion",
            "Shopify Plus Developer for DTC Brands",
        ),
        core_skills=("Shopify",),
        more_skills=("HTML", "CSS", "JavaScript", "UI Design", "Email Marketing", "SEO"),
        tools=("Shopify", "Liquid", "Klaviyo", "Shopify CLI", "Google Analytics"),
        audiences=("direct-to-consumer brands", "small online shops", "e-commerce agencies"),
        goal="sell more with stores that are simple to run",
        work=("theme customisation", "store set-ups", "app integrations", "migrations to Shopify"),
        results=(
            "A product page redesign I did for a skincare brand raised add-to-cart by 22%.",
            "I migrated a 900-product shop from Magento to Shopify in three weeks.",
        ),
        rate=(20, 110),
        portfolio=("Store for a coffee roaster", "Magento to Shopify migration", "Custom bundles"),
        assessments=("Shopify Development Test",),
        job_intro=("We sell online and need a Shopify expert for {topic}.",),
        tasks=(
            "Customise our theme to match the new brand guidelines",
            "Set up product bundles and subscriptions",
            "Connect Klaviyo and check that tracking works",
            "Improve mobile speed and the checkout experience",
        ),
        questions=("Please link to three Shopify stores you worked on.",),
        related=("wordpress",),
    ),
    Specialty(
        key="mobile",
        category="Web, Mobile & Software Dev",
        role="mobile app developer",
        titles=(
            "Mobile App Developer: Flutter & React Native",
            "Cross-Platform App Developer (Flutter)",
            "React Native Developer for iOS and Android",
            "iOS Developer (Swift, SwiftUI)",
            "Android Developer (Kotlin)",
        ),
        core_skills=("Flutter", "React Native"),
        more_skills=(
            "iOS Development",
            "Android Development",
            "Swift",
            "Kotlin",
            "Java",
            "REST API",
            "UI Design",
        ),
        tools=("Flutter", "React Native", "Firebase", "Xcode", "Android Studio", "Fastlane"),
        audiences=("startups", "fitness and health brands", "agencies"),
        goal="launch apps on both stores without two separate teams",
        work=("new apps", "app store releases", "offline sync", "push notifications"),
        results=(
            "A Flutter app I built for a gym chain has a 4.8 rating from 12,000 reviews.",
            "I took over an abandoned React Native app and shipped it to both stores in a month.",
        ),
        rate=(25, 120),
        portfolio=("Gym booking app", "Offline field-inspection app", "Recipe app in SwiftUI"),
        assessments=("Flutter Test", "iOS Development Test", "Android Development Test"),
        job_intro=("We want to launch {topic} on iOS and Android.",),
        tasks=(
            "Build the app from our designs for iOS and Android",
            "Connect it to our API and add push notifications",
            "Prepare both store listings and handle review feedback",
            "Set up crash reporting and analytics",
        ),
        questions=(
            "Please link to apps of yours in the App Store or Google Play.",
            "Flutter or React Native for this project, and why?",
        ),
    ),
    Specialty(
        key="laravel",
        category="Web, Mobile & Software Dev",
        role="PHP and Laravel developer",
        titles=(
            "Laravel Developer: Web Apps & APIs",
            "PHP / Laravel Back-End Developer",
            "Senior PHP Developer (Laravel, Vue.js)",
        ),
        core_skills=("PHP", "Laravel"),
        more_skills=("MySQL", "Vue.js", "REST API", "JavaScript", "HTML", "CSS"),
        tools=("Laravel", "Livewire", "Vue.js", "MySQL", "Redis", "Forge"),
        audiences=("agencies", "small software companies", "startups"),
        goal="keep PHP applications fast, tested and maintainable",
        work=("Laravel apps", "APIs", "legacy PHP refactoring", "admin panels"),
        results=(
            "I refactored a 10-year-old PHP app into Laravel module by module, without a rewrite.",
            "An API I built serves the mobile apps of a regional bank.",
        ),
        rate=(20, 100),
        portfolio=("Legacy PHP to Laravel refactor", "Booking API", "Admin panel in Livewire"),
        assessments=("PHP 7 Skills Test", "Laravel Test"),
        job_intro=("We run a Laravel application and need help with {topic}.",),
        tasks=(
            "Fix the open bugs in our issue tracker, starting with the urgent ones",
            "Add automated tests around the parts you touch",
            "Build new features agreed with our product owner",
        ),
        questions=("Which Laravel versions have you worked with?",),
    ),
    Specialty(
        key="qa",
        category="Web, Mobile & Software Dev",
        role="QA engineer",
        titles=(
            "QA Tester: Manual and Automated Testing",
            "QA Automation Engineer (Playwright, Cypress)",
            "Software Tester for Web and Mobile Apps",
        ),
        core_skills=("QA Testing",),
        more_skills=("JavaScript", "Python", "REST API", "Project Management"),
        tools=("Playwright", "Cypress", "Postman", "Jira", "TestRail", "BrowserStack"),
        audiences=("product teams", "agencies before launches", "startups"),
        goal="find bugs before their customers do",
        work=("test plans", "regression testing", "end-to-end test suites", "bug reports"),
        results=(
            "I wrote a Playwright suite of 300 tests that now runs on every pull request.",
            "Before a public launch I found 48 bugs, 6 of them in the payment flow.",
        ),
        rate=(15, 70),
        portfolio=("Playwright suite for a SaaS", "Test plan for a banking app"),
        assessments=("Software Testing Test", "Selenium Test"),
        job_intro=("We're about to release and need careful testing of {topic}.",),
        tasks=(
            "Write a test plan for the main user journeys",
            "Test on the browsers and devices we support",
            "Report bugs with clear steps to reproduce",
            "Automate the most important flows",
        ),
        questions=("Please attach or describe a bug report you are proud of.",),
    ),
    Specialty(
        key="scraping",
        category="Web, Mobile & Software Dev",
        role="automation developer",
        titles=(
            "Web Scraping & Automation Expert (Python)",
            "Data Extraction and Web Scraping Developer",
            "Python Automation: Scrapers, Bots, Integrations",
        ),
        core_skills=("Web Scraping", "Python"),
        more_skills=("SQL", "Data Analysis", "Excel", "REST API", "Data Entry"),
        tools=("Scrapy", "Playwright", "BeautifulSoup", "pandas", "Airflow"),
        audiences=("e-commerce teams", "market researchers", "real estate investors"),
        goal="collect the data they need without copying it by hand",
        work=("scrapers", "price monitoring", "spreadsheet automation", "scheduled data feeds"),
        results=(
            "A price-monitoring scraper I run tracks 50,000 products every day.",
            "I replaced a two-day manual data-entry task with a script that runs in ten minutes.",
        ),
        rate=(15, 80),
        portfolio=("Price monitor for 40 shops", "Listings feed for a real estate fund"),
        assessments=("Python 3 Skills Test",),
        job_intro=("We need a reliable way to collect {topic}.",),
        tasks=(
            "Write a scraper that respects rate limits and site terms",
            "Deliver clean data as CSV or into our database",
            "Schedule it to run daily and alert us when it breaks",
        ),
        questions=("How do you handle sites that change their layout?",),
    ),
    # --- IT & Networking ---
    Specialty(
        key="devops",
        category="IT & Networking",
        role="DevOps engineer",
        titles=(
            "DevOps Engineer: AWS, Docker, Kubernetes",
            "Cloud Engineer (AWS, Terraform)",
            "DevOps & Site Reliability Engineer",
            "Kubernetes and CI/CD Specialist",
        ),
        core_skills=("DevOps", "AWS", "Docker"),
        more_skills=(
            "Kubernetes",
            "Terraform",
            "Linux",
            "Google Cloud",
            "Microsoft Azure",
            "Go",
            "Rust",
        ),
        tools=("Terraform", "Kubernetes", "GitHub Actions", "Prometheus", "Grafana", "Ansible"),
        audiences=("SaaS companies", "startups without an ops team", "agencies"),
        goal="deploy often without waking anyone up at night",
        work=("cloud set-ups", "CI/CD pipelines", "cost reviews", "monitoring and alerting"),
        results=(
            "I cut a client's AWS bill by 38% in one month without touching their app.",
            "I moved a team from manual deploys to 20 deploys a day through GitHub Actions.",
        ),
        rate=(40, 150),
        portfolio=("AWS cost review", "Kubernetes migration", "Terraform modules"),
        assessments=("AWS Cloud Practitioner", "Linux Administration Test"),
        job_intro=("Our developers deploy by hand; we want {topic}.",),
        tasks=(
            "Review our current set-up and write down the risks",
            "Describe the infrastructure in Terraform",
            "Build a pipeline that tests and deploys every merge",
            "Set up monitoring with alerts that matter",
        ),
        questions=("Which cloud certifications do you hold, if any?",),
        related=("sysadmin",),
    ),
    Specialty(
        key="sysadmin",
        category="IT & Networking",
        role="systems administrator",
        titles=(
            "Linux System Administrator",
            "Network Administrator and IT Support",
            "Cybersecurity Consultant: Audits & Hardening",
        ),
        core_skills=("Linux", "Network Administration"),
        more_skills=("Cybersecurity", "Microsoft Azure", "AWS", "Docker"),
        tools=("Ubuntu", "pfSense", "WireGuard", "Microsoft 365", "Wazuh"),
        audiences=("small offices", "clinics and law firms", "growing startups"),
        goal="keep their systems secure and boring",
        work=("server hardening", "office networks", "backups", "security audits"),
        results=(
            "After my audit a 40-person firm passed its first ISO 27001 review.",
            "I restored a client's file server from backup two hours after a ransomware attack.",
        ),
        rate=(25, 120),
        portfolio=("Office network redesign", "Security audit report (redacted)"),
        assessments=("Network+ Practice Test", "Linux Administration Test"),
        job_intro=("We are a small team without IT staff and need help with {topic}.",),
        tasks=(
            "Audit what we have and list what needs fixing first",
            "Fix the urgent issues and document the set-up",
            "Stay on call for a few hours a month",
        ),
        questions=("What would you check first in a small office network?",),
    ),
    # --- Data Science & Analytics ---
    Specialty(
        key="data-analyst",
        category="Data Science & Analytics",
        role="data analyst",
        titles=(
            "Data Analyst: SQL, Excel, Power BI",
            "Business Intelligence Analyst (Tableau, SQL)",
            "Data Analyst & Dashboard Builder",
            "Excel and Power BI Expert",
        ),
        core_skills=("Data Analysis", "SQL"),
        more_skills=("Excel", "Power BI", "Tableau", "Data Visualization", "Statistics", "Python"),
        tools=("SQL", "Excel", "Power BI", "Tableau", "Looker Studio", "Python"),
        audiences=("operations teams", "e-commerce businesses", "nonprofits", "finance teams"),
        goal="answer their questions with numbers they can trust",
        work=("dashboards", "KPI reports", "data cleaning", "ad-hoc analysis"),
        results=(
            "My churn analysis showed a subscription box company where it lost 60% of cancels.",
            "I replaced 14 weekly spreadsheets with one Power BI dashboard.",
        ),
        rate=(20, 110),
        portfolio=("Sales dashboard in Power BI", "Churn analysis", "Tableau story of NYC data"),
        assessments=("SQL Fundamentals", "Microsoft Excel Test", "Statistics Test"),
        job_intro=("We have the data but not the answers; we need {topic}.",),
        tasks=(
            "Understand our data sources (a PostgreSQL database and some spreadsheets)",
            "Clean and model the data",
            "Build the dashboard and explain how to read it",
            "Document the queries so we can update them",
        ),
        questions=("Which BI tools have you used in paid work?",),
        related=("ml",),
    ),
    Specialty(
        key="ml",
        category="Data Science & Analytics",
        role="machine learning engineer",
        titles=(
            "Machine Learning Engineer (NLP, LLMs)",
            "Data Scientist: Forecasting & Machine Learning",
            "NLP Engineer for Text Classification and Search",
        ),
        core_skills=("Machine Learning", "Python"),
        more_skills=("Deep Learning", "Natural Language Processing", "Statistics", "SQL"),
        tools=("scikit-learn", "PyTorch", "pandas", "Hugging Face", "MLflow"),
        audiences=("startups with data but no data team", "research groups", "retailers"),
        goal="put models into production that actually get used",
        work=("forecasting models", "text classification", "recommendation systems", "audits"),
        results=(
            "A demand forecast I built lowered a grocery chain's waste by 11%.",
            "My ticket classifier routes 80% of a help desk's email automatically.",
        ),
        rate=(45, 150),
        portfolio=("Demand forecasting", "Support-ticket classifier", "Search relevance tuning"),
        assessments=("Machine Learning Test", "Python 3 Skills Test"),
        job_intro=("We want to try machine learning for {topic}.",),
        tasks=(
            "Explore our data and tell us honestly whether ML will help",
            "Build a baseline and then a better model",
            "Deploy it behind a simple API",
        ),
        questions=("Describe a model of yours that made it to production.",),
    ),
    # --- Design & Creative ---
    Specialty(
        key="brand",
        category="Design & Creative",
        role="brand designer",
        titles=(
            "Logo & Brand Identity Designer",
            "Graphic Designer: Branding, Packaging, Print",
            "Brand Designer for Startups",
        ),
        core_skills=("Logo Design", "Brand Identity", "Graphic Design"),
        more_skills=(
            "Adobe Illustrator",
            "Adobe Photoshop",
            "Illustration",
            "Figma",
            "Photography",
        ),
        tools=("Adobe Illustrator", "Photoshop", "InDesign", "Figma"),
        audiences=("new businesses", "cafes and restaurants", "startups before launch"),
        goal="look as good as the work they do",
        work=("logos", "brand guidelines", "packaging", "pitch decks", "social media kits"),
        results=(
            "A craft brewery I rebranded now sells in 300 stores with the packaging I designed.",
            "The pitch deck I designed helped a fintech founder close her seed round.",
        ),
        rate=(15, 100),
        portfolio=("Rebrand of a craft brewery", "Packaging for an organic tea", "Pitch deck"),
        assessments=("Adobe Illustrator Test", "Graphic Design Principles"),
        job_intro=("We're launching soon and need a designer for {topic}.",),
        tasks=(
            "Present two or three directions based on our brief",
            "Refine the chosen one with two rounds of feedback",
            "Deliver source files and a short brand guide",
        ),
        questions=("Please share your portfolio link.", "How many concepts do you present?"),
        related=("uiux",),
    ),
    Specialty(
        key="uiux",
        category="Design & Creative",
        role="UI/UX designer",
        titles=(
            "UI/UX Designer: Web and Mobile Apps",
            "Product Designer (Figma) for SaaS",
            "UX Designer: Research, Wireframes, Prototypes",
        ),
        core_skills=("UI Design", "UX Design", "Figma"),
        more_skills=("Graphic Design", "Adobe Photoshop", "HTML", "CSS"),
        tools=("Figma", "FigJam", "Maze", "Framer", "Notion"),
        audiences=("SaaS teams", "mobile app founders", "agencies"),
        goal="design products people understand on the first try",
        work=("app designs", "design systems", "usability tests", "clickable prototypes"),
        results=(
            "My onboarding redesign raised a budgeting app's week-one retention from 31% to 44%.",
            "I ran twelve user interviews that changed a client's roadmap for the year.",
        ),
        rate=(25, 130),
        portfolio=("Onboarding redesign", "Design system in Figma", "Usability study"),
        assessments=("UX Design Test",),
        job_intro=("Our users get lost in the product; we need a designer for {topic}.",),
        tasks=(
            "Review the current product and talk to a few users",
            "Sketch the flows and test them as a clickable prototype",
            "Deliver final screens and components in Figma",
        ),
        questions=("Please link to a case study that shows your process.",),
        related=("react", "brand"),
    ),
    Specialty(
        key="video",
        category="Design & Creative",
        role="video editor",
        titles=(
            "Video Editor for YouTube and Social Media",
            "Video Editor & Motion Graphics Designer",
            "Explainer Video Animator (After Effects)",
        ),
        core_skills=("Video Editing", "Motion Graphics"),
        more_skills=("Animation", "Adobe Photoshop", "Illustration", "Social Media Marketing"),
        tools=("Premiere Pro", "After Effects", "DaVinci Resolve", "CapCut"),
        audiences=("YouTubers", "course creators", "brands on TikTok and Instagram"),
        goal="keep viewers watching to the end",
        work=("YouTube videos", "short-form clips", "explainer animations", "podcast edits"),
        results=(
            "I edit a cooking channel whose average view duration went from 3 to 7 minutes.",
            "My explainer video for a SaaS doubled the sign-up rate on its landing page.",
        ),
        rate=(15, 90),
        portfolio=("YouTube channel edits", "SaaS explainer animation", "Reels for a gym"),
        assessments=("Adobe Premiere Pro Test",),
        job_intro=("We record a lot of video and need an editor for {topic}.",),
        tasks=(
            "Edit raw footage into finished videos with captions",
            "Add simple motion graphics and music",
            "Deliver versions for YouTube, Reels and TikTok",
        ),
        questions=("What is your usual turnaround for a 10-minute video?",),
    ),
    Specialty(
        key="illustration",
        category="Design & Creative",
        role="illustrator",
        titles=(
            "Illustrator: Children's Books and Editorial",
            "3D Artist and Product Visualiser",
            "Illustrator & Character Designer",
        ),
        core_skills=("Illustration",),
        more_skills=("3D Modeling", "Animation", "Adobe Photoshop", "Adobe Illustrator"),
        tools=("Procreate", "Photoshop", "Blender", "Illustrator"),
        audiences=("authors", "publishers", "game studios", "product brands"),
        goal="tell stories in pictures",
        work=("book illustrations", "character designs", "3D product renders", "icons"),
        results=(
            "Two picture books I illustrated were published last year.",
            "My 3D renders replaced a furniture brand's photo shoots for its new catalogue.",
        ),
        rate=(15, 90),
        portfolio=("Picture book spreads", "Character sheet", "3D chair renders"),
        assessments=("Adobe Photoshop Test",),
        job_intro=("We're looking for an illustrator for {topic}.",),
        tasks=(
            "Sketch options for the style",
            "Produce the final artwork at print resolution",
            "Deliver layered source files",
        ),
        questions=("Please share the portfolio pieces closest to this style.",),
    ),
    # --- Writing ---
    Specialty(
        key="content-writer",
        category="Writing",
        role="content writer",
        titles=(
            "Content Writer for SaaS and B2B Tech",
            "Content Writing & SEO Blog Articles",
            "Health and Wellness Content Writer",
            "Content Writer: Blog Posts, Guides, Newsletters",
            "Finance & Fintech Content Writer",
            "Content Writing for E-commerce Brands",
        ),
        core_skills=("Content Writing", "Blog Writing", "SEO Writing"),
        more_skills=(
            "Article Writing",
            "Copywriting",
            "Editing",
            "Proofreading",
            "Content Marketing",
            "SEO",
        ),
        tools=("Google Docs", "WordPress", "Ahrefs", "Surfer SEO", "Grammarly", "Notion"),
        audiences=("SaaS companies", "B2B marketing teams", "health and wellness brands"),
        goal="turn what they know into articles that rank and get read",
        work=(
            "long-form blog posts",
            "how-to guides",
            "newsletters",
            "case studies",
            "white papers",
        ),
        results=(
            "My articles grew a fintech blog from 3,000 to 45,000 monthly visits in a year.",
            "Eight of the posts I wrote for a project-management tool rank on Google's first page.",
            "I write a weekly newsletter for a nutrition brand with a 52% open rate.",
        ),
        rate=(20, 110),
        portfolio=(
            "Guide: how to choose a CRM",
            "Case study for a logistics SaaS",
            "Newsletter archive for a nutrition brand",
            "Long-form article on remote onboarding",
        ),
        assessments=("U.S. English Spelling Test", "SEO Writing Test", "Grammar and Style Test"),
        job_intro=(
            "We're looking for a content writer to take over {topic}.",
            "We publish two articles a week and need a reliable writer for {topic}.",
        ),
        tasks=(
            "Write 1,500 to 2,500-word articles from our briefs and keyword lists",
            "Research each topic properly and link to good sources",
            "Interview our in-house experts when a piece needs it",
            "Format drafts in Google Docs, ready for WordPress",
        ),
        questions=(
            "Please link to two published articles you wrote for a similar audience.",
            "How do you research a topic you don't know well?",
            "How many articles a week can you take on?",
        ),
        related=("copywriter", "seo", "editor"),
    ),
    Specialty(
        key="copywriter",
        category="Writing",
        role="copywriter",
        titles=(
            "Conversion Copywriter: Landing Pages & Email",
            "Copywriter for DTC Brands",
            "B2B Copywriter and Messaging Strategist",
        ),
        core_skills=("Copywriting",),
        more_skills=("Content Writing", "Email Marketing", "SEO Writing", "Marketing Strategy"),
        tools=("Google Docs", "Hemingway", "Figma (for wireframes)", "Klaviyo"),
        audiences=("direct-to-consumer brands", "SaaS startups", "course creators"),
        goal="say clearly why someone should buy",
        work=("landing pages", "email sequences", "product descriptions", "ad copy"),
        results=(
            "A landing page rewrite of mine lifted a SaaS trial sign-up rate by 34%.",
            "My welcome sequence for a skincare brand brings in a fifth of its email revenue.",
        ),
        rate=(25, 140),
        portfolio=("Landing page rewrite", "Welcome email sequence", "Product page copy"),
        assessments=("U.S. English Spelling Test", "Copywriting Test"),
        job_intro=("Our copy doesn't sell; we need a copywriter for {topic}.",),
        tasks=(
            "Read our customer reviews and interview two customers",
            "Write the copy with two headline options per section",
            "Revise once after our feedback",
        ),
        questions=("Share a piece of copy and the result it achieved.",),
        related=("content-writer",),
    ),
    Specialty(
        key="technical-writer",
        category="Writing",
        role="technical writer",
        titles=(
            "Technical Writer: API Docs and User Guides",
            "Technical Writer for Software Companies",
            "Developer Documentation Writer",
        ),
        core_skills=("Technical Writing",),
        more_skills=("Editing", "REST API", "Content Writing", "Proofreading"),
        tools=("Markdown", "Docusaurus", "Swagger/OpenAPI", "Confluence", "Git"),
        audiences=("developer-tool companies", "SaaS support teams", "hardware makers"),
        goal="explain complicated products simply",
        work=("API documentation", "user guides", "knowledge bases", "release notes"),
        results=(
            "After I rewrote a product's help centre its support tickets dropped by 25%.",
            "I documented 120 endpoints of a payments API in OpenAPI and plain English.",
        ),
        rate=(35, 120),
        portfolio=("API reference for a payments company", "Help centre rewrite"),
        assessments=("Technical Writing Test", "U.S. English Spelling Test"),
        job_intro=("Our documentation is out of date; we need a technical writer for {topic}.",),
        tasks=(
            "Learn the product with our engineers",
            "Restructure and rewrite the existing pages",
            "Set up a style guide we can follow afterwards",
        ),
        questions=("Please link to documentation you wrote.",),
        related=("content-writer",),
    ),
    Specialty(
        key="editor",
        category="Writing",
        role="editor and proofreader",
        titles=(
            "Proofreader and Copy Editor",
            "Book Editor: Developmental and Line Editing",
            "Academic Editor and Proofreader",
        ),
        core_skills=("Editing", "Proofreading"),
        more_skills=("Content Writing", "Creative Writing", "Ghostwriting"),
        tools=("Microsoft Word (Track Changes)", "Google Docs", "PerfectIt", "Chicago Manual"),
        audiences=("authors", "academics", "content teams"),
        goal="publish work without embarrassing mistakes",
        work=("manuscript edits", "proofreading", "style guides", "academic papers"),
        results=(
            "I line-edited a debut novel that went on to win a regional book prize.",
            "I proofread 200 blog posts a quarter for a marketing agency.",
        ),
        rate=(15, 80),
        portfolio=("Edited novel (sample chapter)", "Style guide for a content team"),
        assessments=("U.S. English Spelling Test", "Proofreading Test"),
        job_intro=("We need a careful editor for {topic}.",),
        tasks=(
            "Edit for grammar, clarity and consistency",
            "Flag anything unclear with a comment",
            "Return a clean copy and a tracked copy",
        ),
        questions=("Which style guides do you know well?",),
    ),
    Specialty(
        key="ghostwriter",
        category="Writing",
        role="ghostwriter",
        titles=(
            "Ghostwriter for Business Books and LinkedIn",
            "Ghostwriter and Speechwriter",
            "Nonfiction Ghostwriter",
        ),
        core_skills=("Ghostwriting", "Creative Writing"),
        more_skills=("Editing", "Content Writing", "Article Writing"),
        tools=("Google Docs", "Scrivener", "Otter.ai"),
        audiences=("founders", "coaches and consultants", "executives"),
        goal="publish in their own voice without writing every word",
        work=("business books", "LinkedIn posts", "speeches", "memoirs"),
        results=(
            "I ghostwrote a founder's book that sold 20,000 copies in its first year.",
            "The LinkedIn posts I write for three executives reach 200,000 people a month.",
        ),
        rate=(30, 150),
        portfolio=("Business book (under NDA): sample chapter", "LinkedIn series"),
        assessments=("Creative Writing Test",),
        job_intro=("I'm looking for a ghostwriter for {topic}.",),
        tasks=(
            "Interview me for a few hours to learn my stories and voice",
            "Draft the chapters or posts on an agreed schedule",
            "Revise until it sounds like me",
        ),
        questions=("How do you capture a client's voice?",),
    ),
    Specialty(
        key="resume-grant",
        category="Writing",
        role="grant and resume writer",
        titles=(
            "Grant Writer for Nonprofits",
            "Professional Resume and LinkedIn Writer",
            "Grant Writer & Proposal Specialist",
        ),
        core_skills=("Grant Writing", "Resume Writing"),
        more_skills=("Editing", "Proofreading", "Research", "Business Consulting"),
        tools=("Google Docs", "Candid (Foundation Directory)", "Canva"),
        audiences=("nonprofits", "job seekers", "researchers"),
        goal="win funding and interviews",
        work=("grant applications", "resumes", "cover letters", "LinkedIn profiles"),
        results=(
            "My grant applications raised $1.2 million for community organisations last year.",
            "Clients who use my resumes get interviews at three times their previous rate.",
        ),
        rate=(20, 100),
        portfolio=("Funded grant proposal (redacted)", "Resume samples"),
        assessments=("U.S. English Spelling Test",),
        job_intro=("We need help writing {topic}.",),
        tasks=(
            "Review what we have written so far",
            "Draft the application or resume",
            "Revise it with us before the deadline",
        ),
        questions=("What is your success rate, and how do you measure it?",),
    ),
    # --- Translation ---
    Specialty(
        key="translator",
        category="Translation",
        role="translator",
        titles=(
            "Spanish to English Translator",
            "French and German Translator",
            "Portuguese Translator and Localizer",
            "Japanese to English Translator for Games and Apps",
            "Chinese to English Translator",
        ),
        core_skills=("Localization",),
        more_skills=(
            "Spanish Translation",
            "French Translation",
            "German Translation",
            "Portuguese Translation",
            "Japanese Translation",
            "Chinese Translation",
            "Proofreading",
        ),
        tools=("memoQ", "Trados Studio", "Crowdin", "Phrase"),
        audiences=("software companies", "e-commerce brands", "game studios", "law firms"),
        goal="reach customers in their own language",
        work=("app localisation", "website translation", "legal documents", "subtitles"),
        results=(
            "I localised a budgeting app into Spanish; downloads from Mexico tripled.",
            "I translate the help centre of a European SaaS, about 30,000 words a month.",
        ),
        rate=(15, 80),
        portfolio=("App localisation", "Website translation", "Subtitles for a documentary"),
        assessments=("Translation Test", "U.S. English Spelling Test"),
        job_intro=("We're expanding abroad and need a native speaker to translate {topic}.",),
        tasks=(
            "Translate the texts in our translation tool",
            "Adapt wording and examples for local readers",
            "Review screenshots for text that doesn't fit",
        ),
        questions=("Which CAT tools do you use?", "What is your native language?"),
        related=("transcription",),
    ),
    Specialty(
        key="transcription",
        category="Translation",
        role="transcriptionist",
        titles=(
            "Transcriptionist: Interviews, Podcasts, Research",
            "Accurate English Transcription and Captions",
        ),
        core_skills=("Transcription",),
        more_skills=("Proofreading", "Data Entry", "Editing"),
        tools=("Express Scribe", "oTranscribe", "Descript"),
        audiences=("researchers", "podcasters", "journalists"),
        goal="get accurate text from hours of audio",
        work=("interview transcripts", "podcast transcripts", "captions"),
        results=("I transcribed 300 hours of research interviews at 99% accuracy.",),
        rate=(10, 35),
        portfolio=("Podcast transcript sample",),
        assessments=("English Listening Test",),
        job_intro=("We need accurate transcripts of {topic}.",),
        tasks=(
            "Transcribe with speaker labels and timestamps",
            "Mark unclear passages instead of guessing",
        ),
        questions=("What turnaround can you offer per audio hour?",),
    ),
    # --- Sales & Marketing ---
    Specialty(
        key="seo",
        category="Sales & Marketing",
        role="SEO specialist",
        titles=(
            "SEO Specialist: Technical SEO & Content Strategy",
            "SEO Consultant for SaaS and E-commerce",
            "Local SEO Expert for Small Businesses",
        ),
        core_skills=("SEO", "Content Marketing"),
        more_skills=("Marketing Strategy", "SEO Writing", "Market Research", "Google Ads"),
        tools=("Ahrefs", "Semrush", "Google Search Console", "Screaming Frog", "GA4"),
        audiences=("SaaS companies", "online shops", "local businesses"),
        goal="get found on Google by the right people",
        work=("SEO audits", "keyword research", "content strategy", "technical fixes"),
        results=(
            "Organic sign-ups of a SaaS client grew 4x in 14 months after my audit and plan.",
            "I got a plumbing company into Google's local pack in 11 cities.",
        ),
        rate=(20, 120),
        portfolio=("SEO audit for a SaaS", "Local SEO case study"),
        assessments=("SEO Fundamentals", "Google Analytics Test"),
        job_intro=("Our organic traffic has stalled; we need an SEO specialist for {topic}.",),
        tasks=(
            "Audit the site and rank the issues by impact",
            "Do keyword research and propose a content plan",
            "Work with our developer on technical fixes",
            "Report monthly on rankings and traffic",
        ),
        questions=("Share a before/after traffic chart from a past client.",),
        related=("content-writer", "ads"),
    ),
    Specialty(
        key="social",
        category="Sales & Marketing",
        role="social media manager",
        titles=(
            "Social Media Manager for Small Brands",
            "Instagram & TikTok Marketing Specialist",
            "Social Media Marketing and Community Manager",
        ),
        core_skills=("Social Media Marketing",),
        more_skills=("Content Marketing", "Marketing Strategy", "Facebook Ads", "Graphic Design"),
        tools=("Later", "Buffer", "Canva", "Meta Business Suite", "CapCut"),
        audiences=("restaurants", "fashion brands", "coaches", "local businesses"),
        goal="build an audience that turns into customers",
        work=("content calendars", "posts and reels", "community management", "influencers"),
        results=(
            "I grew a bakery's Instagram from 800 to 24,000 followers in a year.",
            "A TikTok series I planned for a fashion brand reached 3 million views.",
        ),
        rate=(12, 70),
        portfolio=("Instagram growth case study", "Content calendar template"),
        assessments=("Social Media Marketing Test",),
        job_intro=("We post irregularly and want a social media manager for {topic}.",),
        tasks=(
            "Plan a monthly content calendar",
            "Create and schedule posts",
            "Answer comments and messages",
            "Report what works each month",
        ),
        questions=("Which accounts have you grown, and by how much?",),
    ),
    Specialty(
        key="ads",
        category="Sales & Marketing",
        role="paid ads specialist",
        titles=(
            "Google Ads & Facebook Ads Specialist",
            "PPC Manager for E-commerce",
            "Performance Marketer: Paid Search and Social",
        ),
        core_skills=("Google Ads", "Facebook Ads"),
        more_skills=("Marketing Strategy", "Lead Generation", "Market Research", "SEO"),
        tools=("Google Ads", "Meta Ads Manager", "GA4", "Looker Studio"),
        audiences=("online shops", "lead-generation businesses", "SaaS companies"),
        goal="spend their ad budget where it pays back",
        work=("campaign set-ups", "account audits", "landing page tests", "reporting"),
        results=(
            "I brought an online shop's return on ad spend from 1.8 to 4.2 in three months.",
            "I cut a law firm's cost per lead by half with better keywords and landing pages.",
        ),
        rate=(20, 120),
        portfolio=("Google Ads audit", "Meta ads case study"),
        assessments=("Google Ads Search Certification", "Facebook Ads Test"),
        job_intro=("We spend on ads but can't tell what works; we need help with {topic}.",),
        tasks=(
            "Audit the current account",
            "Restructure campaigns and set up conversion tracking",
            "Test new ads and landing pages every month",
        ),
        questions=("What monthly ad spend have you managed?",),
        related=("seo", "email"),
    ),
    Specialty(
        key="email",
        category="Sales & Marketing",
        role="email marketer",
        titles=(
            "Email Marketing Specialist (Klaviyo, Mailchimp)",
            "Email Marketing & Automation Expert",
            "Lead Generation and Cold Email Specialist",
        ),
        core_skills=("Email Marketing",),
        more_skills=("Lead Generation", "Copywriting", "Marketing Strategy", "Affiliate Marketing"),
        tools=("Klaviyo", "Mailchimp", "HubSpot", "ActiveCampaign", "Apollo"),
        audiences=("online shops", "B2B sales teams", "newsletters"),
        goal="earn more from the customers they already have",
        work=("automated flows", "newsletters", "list clean-ups", "cold email campaigns"),
        results=(
            "Flows I built bring in 28% of a supplement brand's online revenue.",
            "My cold email campaign booked 60 sales calls for a B2B agency in one quarter.",
        ),
        rate=(15, 90),
        portfolio=("Klaviyo flows for a fashion brand", "Cold email playbook"),
        assessments=("Email Marketing Test",),
        job_intro=("We have an email list but hardly use it; we need help with {topic}.",),
        tasks=(
            "Plan the flows and campaigns",
            "Write and design the emails",
            "Set up segments and measure results",
        ),
        questions=("Which email platforms do you know best?",),
    ),
    # --- Admin Support ---
    Specialty(
        key="va",
        category="Admin Support",
        role="virtual assistant",
        titles=(
            "Virtual Assistant: Email, Calendar, Research",
            "Executive Assistant for Busy Founders",
            "Virtual Assistant for Real Estate Agents",
        ),
        core_skills=("Virtual Assistance", "Email Handling", "Calendar Management"),
        more_skills=("Research", "Data Entry", "Customer Service", "Project Management"),
        tools=("Google Workspace", "Notion", "Asana", "Calendly", "Slack"),
        audiences=("busy founders", "real estate agents", "coaches", "small teams"),
        goal="get hours back every week",
        work=("inbox management", "scheduling", "travel booking", "research", "CRM updates"),
        results=(
            "I keep the inbox of a CEO with 300 emails a day at zero unread by Friday.",
            "I set up a CRM for a realtor that now tracks 1,400 contacts.",
        ),
        rate=(10, 45),
        portfolio=("Inbox process document", "CRM clean-up"),
        assessments=("U.S. English Spelling Test", "Microsoft Excel Test"),
        job_intro=("I'm drowning in admin and need a virtual assistant for {topic}.",),
        tasks=(
            "Manage my inbox and calendar",
            "Book travel and meetings",
            "Keep our CRM up to date",
            "Do light research when asked",
        ),
        questions=("Which hours (in your time zone) can you work?",),
        related=("data-entry", "pm"),
    ),
    Specialty(
        key="data-entry",
        category="Admin Support",
        role="data entry and customer support specialist",
        titles=(
            "Data Entry Specialist: Fast and Accurate",
            "Customer Service Representative (Chat and Email)",
            "Data Entry and Product Listing Assistant",
        ),
        core_skills=("Data Entry", "Customer Service"),
        more_skills=("Excel", "Research", "Email Handling", "Virtual Assistance"),
        tools=("Excel", "Google Sheets", "Zendesk", "Gorgias", "Shopify admin"),
        audiences=("online shops", "small businesses", "research teams"),
        goal="keep their data clean and their customers answered",
        work=("data entry", "product listings", "support tickets", "spreadsheet clean-ups"),
        results=(
            "I entered 15,000 product listings for a wholesaler with a 0.2% error rate.",
            "I answer about 80 support tickets a day for a shop with a 96% satisfaction score.",
        ),
        rate=(10, 30),
        portfolio=("Product catalogue clean-up",),
        assessments=("Data Entry Test", "Typing Test (70 wpm)"),
        job_intro=("We need a careful, reliable person for {topic}.",),
        tasks=(
            "Enter and check data from our source files",
            "Answer customer questions by chat and email",
            "Flag anything unusual to the team",
        ),
        questions=("How fast do you type, and how do you check your work?",),
    ),
    Specialty(
        key="pm",
        category="Admin Support",
        role="project manager",
        titles=(
            "Project Manager for Software and Marketing Teams",
            "Agile Project Manager and Scrum Master",
            "Operations and Project Manager",
        ),
        core_skills=("Project Management",),
        more_skills=("Research", "Customer Service", "Business Consulting", "QA Testing"),
        tools=("Jira", "Asana", "ClickUp", "Notion", "Miro"),
        audiences=("agencies", "remote software teams", "marketing departments"),
        goal="deliver projects on time without heroics",
        work=("project plans", "sprint planning", "stakeholder updates", "process set-up"),
        results=(
            "I brought an agency's on-time delivery from 55% to 90% in two quarters.",
            "I ran the launch of a banking app across four vendors without a missed deadline.",
        ),
        rate=(25, 100),
        portfolio=("Project playbook for an agency",),
        assessments=("Project Management Principles",),
        job_intro=("We need a project manager to keep {topic} on track.",),
        tasks=(
            "Plan the work with the team",
            "Run weekly check-ins and keep the board current",
            "Report progress and risks to the founders",
        ),
        questions=("Which project methods do you use and when?",),
    ),
    # --- Accounting & Consulting ---
    Specialty(
        key="bookkeeper",
        category="Accounting & Consulting",
        role="bookkeeper",
        titles=(
            "Bookkeeper: QuickBooks Online & Xero",
            "Small Business Bookkeeping and Payroll",
            "Accountant for Freelancers and Small Businesses",
        ),
        core_skills=("Bookkeeping", "Accounting", "QuickBooks"),
        more_skills=("Tax Preparation", "Excel", "Financial Analysis"),
        tools=("QuickBooks Online", "Xero", "Gusto", "Excel"),
        audiences=("small businesses", "online shops", "freelancers"),
        goal="know where their money goes",
        work=("monthly bookkeeping", "catch-up bookkeeping", "payroll", "year-end prep"),
        results=(
            "I caught up two years of books for a restaurant group in six weeks.",
            "I close the books for 14 small businesses by the 10th of every month.",
        ),
        rate=(20, 80),
        portfolio=("Month-end close checklist",),
        assessments=("QuickBooks Online Certification", "Accounting Principles Test"),
        job_intro=("Our books are behind and we need a bookkeeper for {topic}.",),
        tasks=(
            "Reconcile bank and card accounts",
            "Categorise transactions and fix mistakes",
            "Prepare monthly reports",
        ),
        questions=("Are you certified in QuickBooks or Xero?",),
        related=("finance",),
    ),
    Specialty(
        key="finance",
        category="Accounting & Consulting",
        role="financial analyst",
        titles=(
            "Financial Modeling and Fundraising Consultant",
            "Fractional CFO for Startups",
            "Financial Analyst: Models, Budgets, Forecasts",
        ),
        core_skills=("Financial Modeling", "Financial Analysis"),
        more_skills=("Excel", "Business Consulting", "Accounting", "Market Research"),
        tools=("Excel", "Google Sheets", "Causal", "PowerPoint"),
        audiences=("startups raising money", "small companies", "investors"),
        goal="make decisions with a model they understand",
        work=("financial models", "budgets", "investor decks", "pricing analysis"),
        results=(
            "Models I built supported fundraises worth $30 million in total.",
            "My pricing analysis raised a SaaS client's average deal size by 18%.",
        ),
        rate=(40, 150),
        portfolio=("Three-statement model template", "Pricing analysis"),
        assessments=("Financial Modeling Test",),
        job_intro=("We need a financial expert for {topic}.",),
        tasks=(
            "Build a clear three-statement model",
            "Explain the assumptions and test them with us",
            "Prepare a summary for investors",
        ),
        questions=("Please share an anonymised model you built.",),
        related=("bookkeeper",),
    ),
    # --- Legal ---
    Specialty(
        key="legal",
        category="Legal",
        role="lawyer",
        titles=(
            "Contract Lawyer for Startups and Freelancers",
            "Intellectual Property and Trademark Attorney",
            "Corporate Lawyer: Contracts, Terms, Privacy",
        ),
        core_skills=("Contract Law", "Legal Writing"),
        more_skills=("Intellectual Property", "Corporate Law", "Business Consulting"),
        tools=("Clio", "DocuSign", "Word"),
        audiences=("startups", "creators", "small businesses"),
        goal="sign agreements they understand",
        work=("contracts", "terms of service", "trademark filings", "privacy policies"),
        results=(
            "I've reviewed over 400 commercial contracts for startups.",
            "I registered trademarks in 12 countries for a consumer brand.",
        ),
        rate=(60, 150),
        portfolio=("Plain-English terms of service (sample)",),
        assessments=("Legal Writing Test",),
        job_intro=("We need a qualified lawyer to help with {topic}.",),
        tasks=(
            "Review our draft and the risks in it",
            "Propose changes in plain language",
            "Answer follow-up questions by email",
        ),
        questions=("Where are you admitted to practise?",),
    ),
    # --- Engineering & Architecture ---
    Specialty(
        key="cad",
        category="Engineering & Architecture",
        role="architectural designer",
        titles=(
            "Architectural Drafter (AutoCAD, Revit)",
            "Interior Designer: 3D Renders and Floor Plans",
            "Architect for Home Renovations",
        ),
        core_skills=("AutoCAD", "Architecture"),
        more_skills=("Interior Design", "3D Modeling", "Civil Engineering"),
        tools=("AutoCAD", "Revit", "SketchUp", "Lumion", "V-Ray"),
        audiences=("homeowners", "builders", "interior designers"),
        goal="see the space before they build it",
        work=("floor plans", "permit drawings", "3D interior renders", "as-built drawings"),
        results=(
            "I drafted permit sets for more than 60 home renovations.",
            "My renders helped a developer pre-sell 70% of a new building.",
        ),
        rate=(20, 100),
        portfolio=("Kitchen renovation renders", "Permit drawing set"),
        assessments=("AutoCAD Test",),
        job_intro=("We need drawings and renders for {topic}.",),
        tasks=(
            "Turn our sketches and measurements into CAD drawings",
            "Produce 3D renders of the main rooms",
            "Revise after our comments",
        ),
        questions=("Which CAD software do you use?",),
    ),
    Specialty(
        key="mech",
        category="Engineering & Architecture",
        role="mechanical engineer",
        titles=(
            "Mechanical Engineer: Product Design & SolidWorks",
            "Electrical Engineer for PCB and Embedded Design",
            "Product Design Engineer (SolidWorks, DFM)",
        ),
        core_skills=("Mechanical Engineering", "SolidWorks"),
        more_skills=("Electrical Engineering", "AutoCAD", "3D Modeling"),
        tools=("SolidWorks", "Fusion 360", "KiCad", "ANSYS"),
        audiences=("hardware startups", "manufacturers", "inventors"),
        goal="turn prototypes into products a factory can make",
        work=("3D CAD models", "design for manufacturing", "prototypes", "technical drawings"),
        results=(
            "I redesigned an enclosure that cut a client's injection-moulding cost by 30%.",
            "A kitchen gadget I engineered is now sold by two national retailers.",
        ),
        rate=(35, 130),
        portfolio=("Injection-moulded enclosure", "Prototype of a smart lock"),
        assessments=("SolidWorks Test",),
        job_intro=("We are a hardware startup and need an engineer for {topic}.",),
        tasks=(
            "Model the parts in SolidWorks",
            "Check them for manufacturability",
            "Prepare drawings for our factory",
        ),
        questions=("Have you worked with factories in Asia?",),
    ),
)

SPECIALTY_BY_KEY = {specialty.key: specialty for specialty in SPECIALTIES}

# How often a freelancer or a job is in each category (the rest follows the catalog).
CATEGORY_WEIGHTS: dict[str, int] = {
    "Web, Mobile & Software Dev": 26,
    "Design & Creative": 14,
    "Writing": 15,
    "Sales & Marketing": 12,
    "Admin Support": 8,
    "Data Science & Analytics": 7,
    "IT & Networking": 5,
    "Translation": 5,
    "Accounting & Consulting": 4,
    "Engineering & Architecture": 3,
    "Legal": 2,
}


def pick_specialty(rng: random.Random) -> Specialty:
    category = weighted(rng, CATEGORY_WEIGHTS)
    return rng.choice([s for s in SPECIALTIES if s.category == category])


def all_skill_names() -> set[str]:
    return {name for s in SPECIALTIES for name in (*s.core_skills, *s.more_skills)}


# --- freelancer text ---------------------------------------------------------------------


def _join(items: list[str], word: str = "and") -> str:
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f" {word} " + items[-1]


OTHER_COUNTRY_NAMES = {"NZ": "New Zealand", "AT": "Austria"}
SHORT_NAMES = {"US": "USA", "GB": "UK", "AE": "UAE"}


def place_label(code: str) -> str:
    """How a person writes where they live after the city: "Austin, USA"."""
    return SHORT_NAMES.get(code, PLACES[code].name.removeprefix("the "))


def country_name(code: str) -> str:
    return PLACES[code].name if code in PLACES else OTHER_COUNTRY_NAMES.get(code, code)


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]


def profile_title(rng: random.Random, specialty: Specialty) -> str:
    return rng.choice(specialty.titles)


def profile_skills(rng: random.Random, specialty: Specialty, count: int) -> list[str]:
    """`count` skill names: the specialty's core skills first, then some of the others."""
    extra = list(specialty.more_skills)
    rng.shuffle(extra)
    return list(dict.fromkeys([*specialty.core_skills, *extra]))[: max(count, 1)]


def profile_overview(
    rng: random.Random,
    specialty: Specialty,
    *,
    first_name: str,
    years: int,
    city: str,
    country: str,
    long: bool = True,
) -> str:
    """An overview in the freelancer's voice: who for, what, with what, results, how."""
    audience = rng.choice(specialty.audiences)
    work = rng.sample(specialty.work, k=min(3, len(specialty.work)))
    tools = rng.sample(specialty.tools, k=min(rng.randint(3, 5), len(specialty.tools)))
    results = rng.sample(specialty.results, k=min(2 if long else 1, len(specialty.results)))
    role = specialty.role
    article = "an" if role[0] in "aeiou" or role.startswith("SEO") else "a"
    opener = rng.choice(
        [
            f"I'm {article} {role} with {years} years of experience helping {audience} "
            f"{specialty.goal}.",
            f"For the last {years} years I've worked as {article} {role}, mostly with {audience}.",
            f"Hi, I'm {first_name}, {article} {role}. I help {audience} {specialty.goal}.",
            f"I help {audience} {specialty.goal}. I've done this full-time for {years} years.",
        ]
    )
    what = rng.choice(
        [
            f"Most of my work is {_join(work)}.",
            f"Typical projects: {_join(work)}.",
            f"Clients usually hire me for {_join(work)}.",
        ]
    )
    with_what = rng.choice(
        [
            f"My everyday tools are {_join(tools)}.",
            f"I work with {_join(tools)}, and I'm happy to use whatever your team already has.",
            f"Tools I know well: {_join(tools)}.",
        ]
    )
    how = rng.sample(
        [
            "I start every project with a short call to agree on goals, scope and how we'll "
            "measure success.",
            "You'll get regular updates, honest estimates, and an early heads-up if something "
            "looks off.",
            "I leave clear notes behind, so your team is never stuck when our contract ends.",
            "I'm comfortable working async and keep our conversation in one place.",
            "I ask a lot of questions up front; it saves rework later.",
            "I'd rather under-promise and deliver early than the other way round.",
        ],
        k=2 if long else 1,
    )
    where = rng.choice(
        [
            f"I'm based in {city}, {country}, and reply within a few hours on working days.",
            f"I live in {city} ({country}) and keep a few hours of overlap with US and European "
            "time zones.",
            f"Based in {city}, {country}.",
        ]
    )
    close = rng.choice(
        [
            "If you have a project in mind, send me a short description and your timeline.",
            "Tell me what you're working on, and I'll tell you honestly whether I'm the right fit.",
            "Invite me to your job and I'll reply with questions and a rough plan within a day.",
        ]
    )
    if not long:
        return f"{opener} {what} {results[0]} {how[0]} {close}"
    return "\n\n".join(
        [f"{opener} {what}", with_what, " ".join(results), " ".join(how), f"{where} {close}"]
    )


def portfolio_description(rng: random.Random, specialty: Specialty) -> str:
    tools = rng.sample(specialty.tools, k=min(2, len(specialty.tools)))
    return rng.choice(
        [
            f"The link has the brief, my process and what came of it. Made with {_join(tools)}.",
            f"One of my favourite projects, from the first brief to the hand-over. "
            f"Tools: {_join(tools)}.",
            f"What the client asked for, what I delivered, and the numbers afterwards. "
            f"Built with {_join(tools)}.",
        ]
    )


def employment_role(rng: random.Random, specialty: Specialty) -> str:
    seniority = rng.choice(["", "", "Senior ", "Junior ", "Lead "])
    return _capital(f"{seniority}{specialty.role}").replace("Ui/ux", "UI/UX")


def employment_description(rng: random.Random, specialty: Specialty) -> str:
    work = rng.sample(specialty.work, k=min(2, len(specialty.work)))
    return f"Worked on {_join(work)} for {rng.choice(specialty.audiences)}."


DEGREES = ("Bachelor of Arts", "Bachelor of Science", "Master of Science", "Master of Arts")
FIELDS_OF_STUDY: dict[str, tuple[str, ...]] = {
    "Web, Mobile & Software Dev": ("Computer Science", "Software Engineering", "Mathematics"),
    "IT & Networking": ("Computer Engineering", "Information Systems"),
    "Data Science & Analytics": ("Statistics", "Economics", "Data Science"),
    "Design & Creative": ("Graphic Design", "Fine Arts", "Film Production"),
    "Writing": ("English Literature", "Journalism", "Communications"),
    "Translation": ("Translation Studies", "Modern Languages", "Linguistics"),
    "Sales & Marketing": ("Marketing", "Business Administration", "Communications"),
    "Admin Support": ("Business Administration", "Communications", "Psychology"),
    "Accounting & Consulting": ("Accounting", "Finance", "Economics"),
    "Legal": ("Law",),
    "Engineering & Architecture": ("Architecture", "Mechanical Engineering", "Civil Engineering"),
}

OTHER_EXPERIENCE = (
    ("Volunteer mentor", "I mentor people starting out in freelancing, an hour every week."),
    ("Conference speaker", "I've given talks at two regional industry conferences."),
    ("Community organiser", "I co-organise a monthly meetup for local freelancers."),
    ("Open-source contributor", "I contribute fixes and documentation to projects I use."),
)

PORTFOLIO_LINK_HOSTS = ("portfolio", "work", "case-studies", "projects")


# --- clients -----------------------------------------------------------------------------


@dataclass(frozen=True)
class Industry:
    kind: str  # "a specialty coffee roaster"
    blurb: str  # one sentence about the business
    field: str  # fits "our {field} blog", "a {field} company"


INDUSTRIES = (
    Industry(
        "an online furniture store",
        "We sell handmade furniture online and ship across the country.",
        "furniture",
    ),
    Industry(
        "a B2B SaaS company",
        "We make scheduling software for dental and medical clinics.",
        "dental software",
    ),
    Industry(
        "a fintech startup",
        "We build budgeting tools for freelancers and small businesses.",
        "fintech",
    ),
    Industry(
        "a property management company", "We manage about 900 rental homes.", "property management"
    ),
    Industry(
        "a nonprofit",
        "We run free coding classes for teenagers in five cities.",
        "coding education",
    ),
    Industry(
        "a specialty coffee roaster",
        "We roast and sell coffee to cafes and home brewers.",
        "coffee",
    ),
    Industry(
        "a boutique law firm", "We advise startups on contracts and employment.", "legal services"
    ),
    Industry(
        "a digital health startup",
        "Our app helps people manage chronic back pain.",
        "digital health",
    ),
    Industry("a travel agency", "We plan small-group trips in Europe and South America.", "travel"),
    Industry(
        "a marketing agency", "We run content and ads for about 30 mid-sized brands.", "marketing"
    ),
    Industry(
        "an e-learning company",
        "We sell online courses for project managers.",
        "professional training",
    ),
    Industry(
        "a skincare brand", "We make vegan skincare sold online and in 200 stores.", "skincare"
    ),
    Industry("a logistics startup", "We help small shops ship internationally.", "shipping"),
    Industry("a real estate brokerage", "We are a team of 15 agents selling homes.", "real estate"),
    Industry("a game studio", "We are an indie studio working on our second game.", "gaming"),
    Industry(
        "a cybersecurity company",
        "We protect mid-sized companies from phishing.",
        "cybersecurity",
    ),
    Industry(
        "a restaurant group", "We run four restaurants and a catering business.", "restaurant"
    ),
    Industry("a hardware startup", "We are building a smart lock for rental homes.", "smart home"),
    Industry(
        "a university research lab", "We study how people move around cities.", "mobility research"
    ),
    Industry("a fitness studio chain", "We run eight boutique fitness studios.", "fitness"),
)


COMPANY_WORDS = [
    "North",
    "Star",
    "Harbor",
    "Bright",
    "Maple",
    "Summit",
    "Blue",
    "Oak",
    "Cedar",
    "Atlas",
    "Pioneer",
    "Silver",
    "River",
    "Clear",
    "Granite",
    "Lumen",
    "Orbit",
    "Bloom",
    "Copper",
    "Willow",
    "Beacon",
    "Iron",
    "Nimbus",
    "Fable",
    "Juniper",
]
COMPANY_SUFFIXES = (
    "Labs",
    "Studio",
    "Analytics",
    "Health",
    "Media",
    "Partners",
    "Goods",
    "Software",
    "Logistics",
    "Learning",
    "Co.",
    "Group",
    "Digital",
    "Systems",
)


def client_description(rng: random.Random, industry: Industry, company: str) -> str:
    kind, blurb = industry.kind, industry.blurb
    hires = rng.choice(
        [
            "We hire freelancers for design, development and marketing work.",
            "We work with freelancers on projects our small team can't cover.",
            "Most of our freelancers work with us for many months.",
            "We pay on time and give clear feedback.",
        ]
    )
    if not company:
        return f"I run {kind}. {blurb} {hires}"
    return f"{company} is {kind}. {blurb} {hires}"


# --- job posts ---------------------------------------------------------------------------

LEVEL_NEEDS = {
    "entry": (
        "You don't need years of experience, but you must be careful and reliable.",
        "A good fit for someone early in their career who wants a steady client.",
    ),
    "intermediate": (
        "A couple of years of paid work in this area, with examples you can link to.",
        "Some experience with similar projects; show us one in your proposal.",
    ),
    "expert": (
        "A track record with clients like us; link to the two projects you are proudest of.",
        "Senior experience only, please: you will work without much supervision.",
    ),
}
DURATION_TEXT = {
    "less_than_1_month": "a couple of weeks",
    "one_to_3_months": "one to three months",
    "three_to_6_months": "three to six months",
    "more_than_6_months": "more than six months, with more work after that",
}
RESTRICTION_REASONS = (
    "our tax and contract paperwork",
    "our clients' data-protection requirements",
    "the time-zone overlap we need",
    "the in-person meetings a few times a year",
)
GENERAL_QUESTIONS = (
    "When could you start, and how many hours a week can you give this?",
    "Describe a similar project you finished recently.",
    "What questions do you have for us before you start?",
)
APPLY_LINES = (
    "In your proposal, tell us about a similar project and how you'd approach this one.",
    "Please keep your proposal short and link to relevant work.",
    "Proposals that start with a question about the project will be read first.",
    "We'll reply to every proposal within a few days.",
)


def job_idea(rng: random.Random, specialty: Specialty, industry: Industry) -> tuple[str, str]:
    """A job post's title and its topic (what the description says the job is about)."""
    title, topic = rng.choice(JOB_IDEAS[specialty.key])
    return _capital(title.format(field=industry.field)), topic.format(field=industry.field)


def job_description(
    rng: random.Random,
    specialty: Specialty,
    *,
    topic: str,
    company: str,
    industry: Industry,
    level: str,
    duration: str,
    skills: list[str],
    countries: list[str],
    hours_per_week: int | None,
) -> str:
    kind, blurb = industry.kind, industry.blurb
    about = f"We're {company}, {kind}. {blurb}" if company else f"I run {kind}. {blurb}"
    need = rng.choice(specialty.job_intro).format(topic=topic)
    tasks = rng.sample(specialty.tasks, k=min(rng.randint(3, 4), len(specialty.tasks)))
    wants = [rng.choice(LEVEL_NEEDS[level])]
    if len(skills) >= 2:
        wants.append(f"Comfortable with {skills[0]} and {skills[1]}.")
    if rng.random() < 0.5:
        wants.append("Good written English and quick, clear communication.")
    timing = f"We expect this to take {DURATION_TEXT[duration]}"
    timing += f", about {hours_per_week} hours a week." if hours_per_week else "."
    parts = [
        f"{about}\n\n{need}",
        "What you'll do:\n" + "\n".join(f"- {task}" for task in tasks),
        "What we're looking for:\n" + "\n".join(f"- {want}" for want in wants),
        timing,
    ]
    if countries:
        names = _join([country_name(code) for code in countries], "or")
        parts.append(
            f"Because of {rng.choice(RESTRICTION_REASONS)}, we can only work with freelancers "
            f"with a verified location in {names}."
        )
    parts.append(rng.choice(APPLY_LINES))
    return "\n\n".join(parts)


# (title, topic) per specialty: the title of a post and what its description says it is
# about. "{field}" is the client's line of business ("coffee", "fintech").
JOB_IDEAS: dict[str, tuple[tuple[str, str], ...]] = {
    "django": (
        ("Django developer for our {field} customer portal", "a customer portal for our clients"),
        ("Python/Django back-end developer: Stripe billing", "Stripe subscription billing"),
        ("Upgrade our Django 2.2 app to Django 5", "an upgrade of our Django 2.2 app"),
        ("Senior Django engineer for a multi-tenant SaaS", "a multi-tenant version of our SaaS"),
        ("Django REST API for our mobile app", "a REST API for our mobile app"),
        ("Build an internal reporting tool in Django", "an internal reporting tool"),
    ),
    "react": (
        ("React developer for a customer dashboard", "a customer dashboard"),
        (
            "Front-end developer (React/TypeScript) for our {field} web app",
            "the front end of our web app",
        ),
        ("Turn Figma designs into a React component library", "a component library"),
        ("React developer to build an admin panel", "an admin panel for our operations team"),
        ("Next.js developer for our marketing site", "a new marketing site in Next.js"),
    ),
    "fullstack-js": (
        ("Full-stack developer to build a {field} marketplace MVP", "the MVP of a marketplace"),
        ("Node.js + React developer for a client portal", "a client portal"),
        ("Add real-time chat to our web app", "real-time chat between our users"),
        ("Full-stack JavaScript developer for an internal tool", "an internal tool"),
        ("MVP developer needed: {field} booking app", "a booking app"),
    ),
    "wordpress": (
        ("WordPress developer for our {field} website", "a new theme for our website"),
        ("Fix and speed up our WordPress site", "speeding up our WordPress site"),
        ("Build a WooCommerce store", "a WooCommerce store for our products"),
        ("WordPress membership site with paid plans", "a membership site with paid plans"),
        ("Migrate our blog to WordPress", "moving our blog to WordPress"),
    ),
    "shopify": (
        ("Shopify developer to customise our theme", "our Shopify theme"),
        ("Shopify expert needed for a store launch", "the launch of our Shopify store"),
        ("Set up product bundles and subscriptions on Shopify", "bundles and subscriptions"),
        ("Move our store from WooCommerce to Shopify", "a move from WooCommerce to Shopify"),
        ("Redesign our Shopify product pages", "our product pages"),
    ),
    "mobile": (
        ("Mobile developer for a {field} app (iOS and Android)", "a new app"),
        ("Flutter developer to build a fitness tracking app", "a fitness tracking app"),
        ("React Native developer for our delivery app", "the next version of our delivery app"),
        ("Build an appointment booking app", "an appointment booking app"),
        ("Offline-first app for field technicians", "an app our technicians can use offline"),
    ),
    "laravel": (
        ("Laravel developer for our CRM", "new features in our CRM"),
        ("PHP developer to maintain our legacy app", "our legacy PHP app"),
        ("Laravel developer: {field} booking platform", "our booking platform"),
        ("Build an e-learning site in Laravel", "an e-learning site"),
    ),
    "qa": (
        ("QA tester for our {field} web app", "our web app"),
        ("Test our mobile app before release", "the next mobile app release"),
        ("Set up Playwright tests for our checkout", "our checkout flow"),
        ("API testing with Postman", "our public API"),
    ),
    "scraping": (
        ("Scrape competitor prices daily", "product prices from competitor sites"),
        ("Collect public business listings for {field} research", "public business listings"),
        ("Python script to automate our weekly sales report", "the data for our sales report"),
        ("Real estate listings scraper", "real estate listings from public sites"),
    ),
    "devops": (
        ("DevOps engineer: CI/CD with GitHub Actions", "CI/CD with GitHub Actions"),
        ("Set up a Kubernetes cluster on AWS", "a Kubernetes cluster on AWS"),
        ("Describe our infrastructure in Terraform", "infrastructure as code"),
        ("AWS cost review and clean-up", "a review of our AWS costs"),
        ("Monitoring and alerting for our {field} platform", "monitoring and alerts"),
    ),
    "sysadmin": (
        ("IT administrator for our office network", "our office network"),
        ("Security review of our Linux servers", "the security of our Linux servers"),
        ("Set up Microsoft 365 for a 20-person team", "Microsoft 365 for our team"),
        ("Fix our backups before it's too late", "backups we can actually restore"),
    ),
    "data-analyst": (
        ("Data analyst to build a sales dashboard", "a sales dashboard"),
        (
            "Customer churn analysis for a {field} subscription",
            "an analysis of why customers leave",
        ),
        ("Power BI expert for monthly KPI reports", "monthly KPI reports in Power BI"),
        ("SQL analyst: marketing attribution report", "a marketing attribution report"),
        ("Tableau dashboards for our {field} operations", "dashboards for our operations team"),
    ),
    "ml": (
        ("Machine learning engineer for demand forecasting", "demand forecasting"),
        ("Recommendation engine for our {field} app", "product recommendations"),
        ("Classify support tickets automatically", "classifying support tickets"),
        ("Data scientist: fraud detection model", "fraud detection"),
    ),
    "brand": (
        ("Logo and brand identity for a {field} startup", "our new brand"),
        ("Graphic designer for product packaging", "our product packaging"),
        ("Design our investor pitch deck", "our pitch deck"),
        ("Rebrand for a {field} company", "a rebrand"),
        ("Social media graphics kit", "a kit of social media templates"),
    ),
    "uiux": (
        ("UI/UX designer for our {field} web app", "our web app"),
        ("Product designer to redesign our onboarding", "our onboarding"),
        ("Figma designer: design system", "a design system in Figma"),
        ("UX designer for a mobile banking app", "a mobile banking app"),
        ("Redesign our e-commerce checkout", "our checkout"),
    ),
    "video": (
        ("Video editor for our YouTube channel", "our YouTube channel"),
        ("Short-form video editor (Reels, TikTok)", "short-form social videos"),
        ("Animator for a 90-second product explainer", "a product explainer"),
        ("Edit the videos of our {field} online course", "our online course"),
    ),
    "illustration": (
        ("Illustrator for a children's book", "a children's picture book"),
        ("Character designer for our indie game", "our game characters"),
        ("3D artist for product renders", "renders of our products"),
        ("Editorial illustrations for our {field} blog", "illustrations for our blog"),
    ),
    "content-writer": (
        ("Content writer for our {field} blog", "our {field} blog"),
        ("Blog writer needed: 8 articles a month", "eight articles a month for our blog"),
        ("SEO content writer for {field} guides", "a series of in-depth {field} guides"),
        ("Long-form content writing for our resource library", "our resource library"),
        ("Content writer for our weekly newsletter", "our weekly newsletter"),
        ("Content writing: customer case studies", "customer case studies"),
    ),
    "copywriter": (
        ("Copywriter to rewrite our homepage", "our homepage"),
        ("Launch copy for a new {field} product", "the launch of a new product"),
        ("Email welcome sequence copywriter", "an email welcome sequence"),
        ("Product descriptions for 120 products", "our product descriptions"),
    ),
    "technical-writer": (
        ("Technical writer for our API documentation", "our API documentation"),
        ("Write a user manual for our {field} software", "a user manual"),
        ("Rewrite our help centre", "our help centre"),
        ("Developer guides and tutorials", "developer guides"),
    ),
    "editor": (
        ("Editor for a 70,000-word novel", "a 70,000-word novel"),
        ("Proofread our website before launch", "our website copy"),
        ("Academic editor for a research paper", "a research paper"),
        ("Line edit a nonfiction book about {field}", "a nonfiction book"),
    ),
    "ghostwriter": (
        ("Ghostwriter for a business book", "a business book"),
        ("Weekly LinkedIn posts in my voice", "weekly LinkedIn posts"),
        ("Ghostwriter for my memoir", "my memoir"),
        ("Keynote speech for a {field} conference", "a keynote speech"),
    ),
    "resume-grant": (
        ("Grant writer for a community arts program", "a grant application for our arts program"),
        ("Grant writer for a youth sports nonprofit", "grant applications for our nonprofit"),
        ("Resume and LinkedIn rewrite for a career change", "a resume for a career change"),
        ("Resume writer for a senior engineering role", "a resume for a senior role"),
    ),
    "translator": (
        ("Translate our app into Spanish", "our app into Spanish"),
        ("German translator for our {field} website", "our website into German"),
        ("French translation of product pages", "our product pages into French"),
        ("Japanese localization for our game", "our game into Japanese"),
        ("Portuguese translation of legal documents", "legal documents into Portuguese"),
    ),
    "transcription": (
        ("Transcribe 20 hours of interviews", "20 hours of interviews"),
        ("Podcast transcripts, weekly", "our podcast episodes"),
        ("Transcribe focus group recordings", "focus group recordings"),
    ),
    "seo": (
        ("SEO expert for our {field} website", "our website's organic traffic"),
        ("SEO audit of an online store", "an SEO audit"),
        ("Local SEO for a {field} business", "local search"),
        ("Technical SEO fixes after a site migration", "technical SEO after our migration"),
    ),
    "social": (
        ("Social media manager for our {field} brand", "our Instagram, Facebook and LinkedIn"),
        ("Run our Instagram and TikTok", "our Instagram and TikTok"),
        ("LinkedIn content for a B2B {field} company", "our LinkedIn page"),
        ("Community manager for our Facebook group", "our Facebook community"),
    ),
    "ads": (
        ("Google Ads expert for our online store", "our Google Ads"),
        ("Facebook Ads manager for lead generation", "lead generation with Facebook Ads"),
        ("Paid ads for a {field} product launch", "ads for a product launch"),
        ("Lower our cost per app install", "our app install campaigns"),
    ),
    "email": (
        ("Set up Klaviyo flows for our store", "Klaviyo flows"),
        ("Email marketer for our {field} newsletter", "our newsletter"),
        ("Cold email campaign for B2B leads", "a cold email campaign"),
        ("Abandoned-cart and win-back emails", "abandoned-cart emails"),
    ),
    "va": (
        ("Virtual assistant for a busy founder", "my inbox and calendar"),
        ("Virtual assistant for our real estate team", "our team's admin work"),
        ("Executive assistant: email and calendar management", "email and calendar management"),
        ("Part-time assistant for a {field} business", "day-to-day admin"),
    ),
    "data-entry": (
        ("Data entry for our product catalogue", "our product catalogue"),
        ("Customer support agent for weekend shifts", "weekend support shifts"),
        ("CRM clean-up and data entry", "a CRM clean-up"),
        ("Chat and email support for a {field} company", "customer support"),
    ),
    "pm": (
        ("Project manager for our website relaunch", "our website relaunch"),
        ("Scrum master for a remote dev team", "a remote development team"),
        ("Project manager for a {field} product launch", "a product launch"),
    ),
    "bookkeeper": (
        ("Bookkeeper for our {field} business", "our monthly bookkeeping"),
        ("Catch up a year of QuickBooks", "a year of QuickBooks"),
        ("Bookkeeping for an online store", "bookkeeping for our store"),
    ),
    "finance": (
        ("Financial model for our seed round", "our seed round"),
        ("Fractional CFO for a {field} company", "our finances"),
        ("Budget and forecast for next year", "next year's budget"),
    ),
    "legal": (
        ("Lawyer to review our terms of service", "our terms of service"),
        ("Draft a partnership agreement", "a partnership agreement"),
        ("Trademark filing for a {field} brand", "a trademark filing"),
        ("Review an NDA and a services contract", "an NDA and a services contract"),
    ),
    "cad": (
        ("AutoCAD drafter for a kitchen renovation", "a kitchen renovation"),
        ("Interior design for a small office", "a small office"),
        ("Permit drawings for a two-storey house", "a two-storey house"),
        ("3D renders for a restaurant fit-out", "a restaurant fit-out"),
    ),
    "mech": (
        ("Mechanical engineer for a consumer gadget", "a consumer gadget"),
        ("Injection-moulded enclosure design", "an injection-moulded enclosure"),
        ("SolidWorks model of our prototype", "our prototype"),
        ("PCB and enclosure for a {field} device", "a small electronic device"),
    ),
}


# --- pitching ------------------------------------------------------------------------------

COVER_OPENINGS = (
    "Hi! I read your post about {topic} and it is exactly the kind of work I do.",
    "Hello, your project caught my eye: {topic} is close to what I have been doing for "
    "{years} years.",
    "Hi there, I'd love to help with {topic}.",
    "Good day! Quick question before anything else: what does success look like for "
    "{topic} three months from now?",
)
COVER_APPROACH = (
    "I would start with a short call to agree on scope, then deliver in small pieces so you "
    "can give feedback early.",
    "My usual approach: a written plan in the first two days, then weekly check-ins and a "
    "shared board you can follow.",
    "I'd begin by reviewing what you have today and send you a one-page plan before I touch "
    "anything.",
)
COVER_CLOSINGS = (
    "Happy to share more samples or hop on a call.",
    "Looking forward to hearing from you.",
    "If this sounds right, I can start this week.",
)
ANSWERS = (
    "I can start next Monday and give this about {hours} hours a week.",
    "Last month I finished a very similar project for a client in the same line of business; "
    "happy to walk you through it.",
    "Mostly about deadlines and who reviews the work on your side.",
    "Yes — several times, with good results; details in my portfolio.",
)
CLIENT_OPENERS = (
    "Thanks for your proposal! Could you tell me a bit more about {example}?",
    "Hi, your profile looks like a good fit. Are you available for a short call this week?",
    "Thanks for applying. What would your timeline look like if we started next week?",
    "Hello! Could you share one or two samples closest to what we need?",
)
FREELANCER_REPLIES = (
    "Of course! I'm free Tuesday or Thursday afternoon, whichever suits you.",
    "Sure — I've attached links in my portfolio; the second one is the closest match.",
    "I could deliver a first draft within a week of starting and the rest in two more.",
    "Thanks for getting back to me. Happy to answer anything else.",
)
CLIENT_FOLLOW_UPS = (
    "Great, that helps. I'll get back to you after I talk to my team.",
    "Perfect, thanks. We're reviewing a few proposals and will decide by Friday.",
    "Sounds good. One more question: are you comfortable with weekly check-ins?",
)
INVITATION_LINES = (
    "Hi {name}, I came across your profile and think you'd be a great fit for “{title}”. "
    "Would you send a proposal?",
    "Hello {name}! We're hiring for “{title}” and your experience stood out. Interested?",
    "Hi {name}, I'd like to invite you to take a look at “{title}”.",
)


def cover_letter(
    rng: random.Random, specialty: Specialty, *, topic: str, years: int, skills: list[str]
) -> str:
    opening = rng.choice(COVER_OPENINGS).format(topic=topic, years=years)
    experience = (
        f"I'm a {specialty.role} with {years} years of experience"
        + (f", mostly with {_join(skills[:2])}." if skills else ".")
        + f" {rng.choice(specialty.results)}"
    )
    return "\n\n".join(
        [opening, experience, rng.choice(COVER_APPROACH), rng.choice(COVER_CLOSINGS)]
    )


def screening_answer(rng: random.Random) -> str:
    return rng.choice(ANSWERS).format(hours=rng.choice([10, 15, 20, 30, 40]))


def client_opener(rng: random.Random, specialty: Specialty) -> str:
    return rng.choice(CLIENT_OPENERS).format(example=rng.choice(specialty.work))


def invitation_message(rng: random.Random, *, name: str, title: str) -> str:
    return rng.choice(INVITATION_LINES).format(name=name, title=title)


# --- hiring and getting paid ---------------------------------------------------------------

# Milestone plans by how many milestones a contract has: what each one delivers.
MILESTONE_PHASES = {
    1: (("Complete the work as described in the post", "Delivered in the agreed format"),),
    2: (
        ("First half: plan and first version", "Plan agreed before work starts"),
        ("Second half: final version and handover", "All feedback from the review applied"),
    ),
    3: (
        ("Discovery and plan", "A short written plan we both agree on"),
        ("First complete version for review", "Covers everything in the plan"),
        ("Revisions and final delivery", "Source files handed over"),
    ),
}
MILESTONE_CRITERIA = (
    "Delivered by the due date",
    "Matches the brief and the examples we shared",
    "One round of revisions included",
    "Files in the agreed formats",
    "Checked on desktop and phone",
    "No placeholder text left",
)
OFFER_MESSAGES = (
    "Thanks for the great conversation, {name}. Here is the offer as we discussed; let me "
    "know if anything in the milestones needs adjusting.",
    "Hi {name}, we'd love to work with you on this. The terms follow your proposal.",
    "{name}, your proposal stood out. Happy to start as soon as you accept.",
)
OFFER_DECLINE_REASONS = (
    "Thank you, but I have just taken on another project and could not give this the time "
    "it deserves.",
    "The budget is below what this scope needs; I'd be glad to talk again if it changes.",
    "The start date does not work for me, sorry.",
)
SUBMISSION_MESSAGES = (
    "Here is the work for this milestone. I ticked the criteria it meets; happy to walk you "
    "through it on a call.",
    "All done for this milestone — the files are ready for your review.",
    "Submitting this milestone. Let me know if you want anything changed before approving.",
)
UNFUNDED_SUBMISSION = (
    "I went ahead and finished this part while waiting for the funding, so you can review it "
    "as soon as you fund the milestone."
)
CHANGE_REQUESTS = (
    "Close, but the second section does not follow the brief yet; please rework it.",
    "Thanks! Could you tighten the wording and fix the two points I noted in the document?",
    "Looks good overall. Please adjust the colours to our brand guide before I approve.",
)
RESUBMIT_MESSAGES = (
    "Updated with all the changes you asked for.",
    "Reworked as requested — the notes are addressed one by one.",
)
AMENDMENTS = (
    ("Extra round of revisions requested after launch", "Agreed on our last call."),
    ("Two additional pages in the same style", "As discussed, the same rate as before."),
    ("Handover call and written documentation", "So the team can carry on without me."),
)


def milestone_terms(rng: random.Random, count: int) -> list[tuple[str, list[str]]]:
    """(description, acceptance criteria) for each of `count` milestones."""
    phases = MILESTONE_PHASES[count]
    return [
        (phase, [first, *rng.sample(MILESTONE_CRITERIA, k=rng.randint(1, 2))])
        for phase, first in phases
    ]


def offer_message(rng: random.Random, *, name: str) -> str:
    return rng.choice(OFFER_MESSAGES).format(name=name)


OFFER_DESCRIPTIONS = (
    "As discussed in the interview: the scope of the post, delivered in the milestones "
    "below. Questions go in the contract's messages.",
    "The work described in the post. We review each milestone within a few days of submission.",
    "Scope as in the post and your proposal; we'll add milestones if the project grows.",
)


# --- feedback on past contracts ------------------------------------------------------------

# What clients write about freelancers, by how the contract went (the stars follow it).
CLIENT_FEEDBACK = {
    "positive": (
        "{name} understood the brief at once and delivered ahead of schedule. Clear updates "
        "all the way through; we will hire again.",
        "Excellent work. {name} asked the right questions early and the result needed no "
        "changes at all.",
        "A pleasure to work with: fast, careful and honest about what was possible in the time.",
        "{name} went beyond what we asked and documented everything for our team. Highly "
        "recommended.",
    ),
    "neutral": (
        "The work was fine in the end, but it took a second round and a few reminders.",
        "{name} delivered what we agreed. Communication could have been quicker.",
        "Decent result; a couple of deadlines slipped by a day or two.",
    ),
    "negative": (
        "The first delivery missed most of the brief and the revision came late. We finished "
        "the work in-house.",
        "Deadlines were missed repeatedly and messages went unanswered for days.",
    ),
}
# What freelancers write about clients.
FREELANCER_FEEDBACK = (
    "Clear requirements, quick answers and prompt approval. Would gladly work together again.",
    "Great client: knew what they wanted and gave useful feedback at each step.",
    "Friendly and organised; milestones were funded and approved without delay.",
    "A well-run project. The brief was detailed and the review fast.",
    "Good communication throughout, and fair about a change in scope.",
)
FREELANCER_FEEDBACK_POOR = (
    "The brief changed several times after the work started, and feedback arrived late.",
    "Hard to reach during the project; the approval took a lot of reminders.",
)
FLAG_REASON = (
    "Reviewed after complaints from freelancers: this client has left poor feedback on "
    "contracts whose work they approved in full and praised in the contract's messages. "
    "The ratings are not supported by what happened on the contracts."
)
