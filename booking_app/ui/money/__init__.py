"""お金: payments, receipts (領収書) and the day's cash-up (日計)."""
