# Shortcuts for developers; ./setup.sh is the one way in (it also installs).
.PHONY: demo test bench scenarios
demo:
	./setup.sh demo
test:
	./setup.sh test
bench:
	./setup.sh bench
scenarios:
	.venv/bin/voiceskill scenarios tests/scenarios ../shared/peers/ha-intents-nl/scenarios
