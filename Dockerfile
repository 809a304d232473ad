# One image for web (gunicorn), Celery worker and Celery beat.
FROM python:3.11-slim-bookworm

ENV PYTHONDONTWRITEBYTECODE=1 PYTHONUNBUFFERED=1 PIP_DISABLE_PIP_VERSION_CHECK=1
RUN apt-get update \
 && apt-get install -y --no-install-recommends libharfbuzz-subset0 libpango-1.0-0 libpangoft2-1.0-0 fonts-dejavu-core \
 && rm -rf /var/lib/apt/lists/*

WORKDIR /app
COPY pyproject.toml README.md ./
COPY lending ./lending
COPY crm ./crm
COPY origination ./origination
COPY servicing ./servicing
RUN pip install --no-cache-dir .
COPY . .
# collectstatic needs settings but no database or real secret.
RUN DEBUG=0 SECRET_KEY=collectstatic-only-not-a-real-secret-key-0000000000000 \
    FIELD_ENCRYPTION_KEYS=Y29sbGVjdHN0YXRpYy1vbmx5LW5vdC1hLXJlYWwtayE= python manage.py collectstatic --noinput

RUN useradd --create-home --uid 1000 lending && mkdir -p /app/var/media && chown -R lending /app/var
USER lending
EXPOSE 8000
CMD ["gunicorn", "lending.wsgi:application", "--bind", "0.0.0.0:8000", "--workers", "3", "--access-logfile", "-"]
