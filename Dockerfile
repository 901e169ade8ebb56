# LeadFollow production image: gunicorn serving leadfollow.wsgi on port 8000, as a non-root user.
# The same image runs the Celery worker and beat (see docker-compose.yml).
FROM python:3.11-slim

# settings.py finds templates/ and static/ next to the leadfollow package, so PYTHONPATH makes
# the apps import from /app rather than from the copy `pip install .` puts in site-packages.
# WEB_CONCURRENCY is gunicorn's worker count.
ENV PYTHONDONTWRITEBYTECODE=1 \
    PYTHONUNBUFFERED=1 \
    PIP_NO_CACHE_DIR=1 \
    PIP_DISABLE_PIP_VERSION_CHECK=1 \
    PYTHONPATH=/app \
    WEB_CONCURRENCY=3

RUN useradd --system --create-home --uid 10001 --user-group leadfollow

WORKDIR /app

# Dependencies first, in their own layer: a code change does not reinstall them.
COPY pyproject.toml README.md ./
RUN python -c "import tomllib; print('\n'.join(tomllib.load(open('pyproject.toml', 'rb'))['project']['dependencies']))" > /tmp/requirements.txt \
    && pip install -r /tmp/requirements.txt \
    && rm /tmp/requirements.txt

COPY . .
RUN pip install --no-deps . \
    && rm -rf build *.egg-info \
    && DEBUG=false SECRET_KEY=build-time-only-not-a-secret python manage.py collectstatic --noinput

USER leadfollow

EXPOSE 8000

CMD ["gunicorn", "leadfollow.wsgi:application", "--bind", "0.0.0.0:8000", "--access-logfile", "-", "--worker-tmp-dir", "/dev/shm"]
