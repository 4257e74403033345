"""The agency: receipt of dossiers, appointment dates, results, apology slips."""
