"""Respondent channels beyond the plain web form: QR links, kiosks, staff codes, paper."""
