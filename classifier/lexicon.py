"""Cue words of pitches and of page furniture, in the languages users send most.

TF-IDF learns single words from the few thousand labelled appeals; pooling the cues of a kind
into one count lets a rarely seen word ("abonnieren", "suscríbete") count like a common one.
"""

from __future__ import annotations

APPEAL_CUES = frozenset("""
subscribe subscription subscriber subscribers newsletter newsletters signup register
registration donate donation donations donating membership member members premium upgrade
trial demo buy shop order purchase deal deals discount discounts coupon promo offer offers sale
save off sponsored sponsor advertisement advertising advertiser ad ads affiliate commission
download app follow join unlock unlimited exclusive free price pricing book quote consultation
contact enroll apply partner support contribute gift inbox
abonnieren abonnement abo anmelden registrieren spenden spende mitglied kaufen
jetzt gratis kostenlos angebot rabatt werbung anzeige folgen herunterladen
abonner abonnez inscrivez inscription don faire acheter offre gratuit publicité
suivez télécharger soutenez adhérez
suscríbete suscribirse suscripción regístrate donar donación comprar oferta publicidad
síguenos descarga apoya hazte
abbonati abbonamento iscriviti registrati dona acquista offerta gratuito pubblicità seguici
assine assinatura inscreva cadastre doe compre grátis publicidade siga baixe
""".split())
FURNITURE_CUES = frozenset("""
share tweet email print comment comments reply login log sign menu home search skip
related popular trending recommended read more next previous back top cookies cookie privacy
policy terms copyright rights reserved photo image credit video caption tags topics author
updated published minute minutes min ago posted editor staff
teilen drucken kommentare suche menü startseite weiterlesen datenschutz impressum
partager imprimer commentaires connexion recherche accueil lire suite confidentialité
compartir imprimir comentarios buscar inicio leer más privacidad
condividi stampa commenti cerca leggi
""".split())


def cue_counts(words: list[str]) -> tuple[int, int]:
    """How many of ``words`` (lower-cased) are pitch cues and how many are furniture cues."""
    return (sum(map(APPEAL_CUES.__contains__, words)),
            sum(map(FURNITURE_CUES.__contains__, words)))
