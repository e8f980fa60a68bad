"""Data-subject requests, by who acts: ``customer`` (signed in, about
themselves), ``public`` (anyone, through the public form; a parent for a
child), ``staff`` (the privacy officer's queue and its reminders),
``downloads`` (answers that leave as a one-time link), and ``common`` for
what they share. Import the module you mean; nothing is re-exported here."""
