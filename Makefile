# Shortcuts for developers; ./setup.sh is the one way in (it also installs).
.PHONY: demo test test-fast bench scenarios
demo:
	./setup.sh demo
test:
	./setup.sh test
test-fast:
	.venv/bin/python -m pytest -m "not speech"
bench:
	./setup.sh bench
scenarios:
	.venv/bin/voiceskill scenarios tests/scenarios ../shared/peers/ha-intents-nl/scenarios
