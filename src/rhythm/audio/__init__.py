"""Music: the checked 16 kHz WAV of each music id (:mod:`wav`, :mod:`music`), its beats and tempo,
and the music features the dance model hears."""
