"""Class challenges: rules a model must keep, and Kaggle-style leaderboards on a public and a private half."""

from mnistlab.challenges.board import (
    Challenge,
    Entry,
    Leaderboard,
    create_challenge,
    drawings_count,
    end_challenge,
    get_challenge,
    leaderboard,
    list_challenges,
    reveal,
)
from mnistlab.challenges.rules import SCORINGS, ChallengeError, Rules
from mnistlab.challenges.scoring import MIN_SCORING_DRAWINGS

__all__ = ["MIN_SCORING_DRAWINGS", "SCORINGS", "Challenge", "ChallengeError", "Entry", "Leaderboard", "Rules",
           "create_challenge", "drawings_count", "end_challenge", "get_challenge", "leaderboard", "list_challenges",
           "reveal"]
