"""The email's Jinja2 templates, kept in a module so any install of the package carries them. Mail clients
want table layout, inline styles and no external resources (no <style> block: Gmail drops classes on forwards)."""

HTML = r"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="color-scheme" content="light">
<title>{{ subject }}</title>
</head>
<body style="margin:0;padding:0;background:#eef1f4;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#eef1f4;">
<tr><td align="center" style="padding:16px 8px;">
<table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="max-width:640px;background:#ffffff;border-radius:6px;font-family:Arial,Helvetica,sans-serif;color:#1d2733;">
  <tr><td style="padding:20px 20px 8px 20px;">
    <div style="font-size:12px;color:#5b6875;text-transform:uppercase;letter-spacing:0.5px;">{{ heading }}</div>
    <div style="font-size:22px;font-weight:bold;margin-top:4px;">{{ title }}</div>
    <div style="font-size:14px;color:#5b6875;margin-top:2px;">{{ period_label }}</div>
  </td></tr>
  {% if quality %}
  <tr><td style="padding:8px 20px;">
    <table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#fff6e5;border-left:4px solid #e0a100;">
      <tr><td style="padding:10px 12px;font-size:13px;line-height:18px;">
        <b>Data quality</b><br>
        {% for q in quality %}{{ q }}<br>{% endfor %}
      </td></tr>
    </table>
  </td></tr>
  {% else %}
  <tr><td style="padding:8px 20px;">
    <table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="background:#eaf6ec;border-left:4px solid #2e9a47;">
      <tr><td style="padding:8px 12px;font-size:13px;line-height:18px;"><b>Data quality</b>: every device reported all {{ {'daily': 'day', 'weekly': 'week'}.get(kind, 'month') }}.</td></tr>
    </table>
  </td></tr>
  {% endif %}
  <tr><td style="padding:8px 20px;">
    <table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;font-size:14px;">
      <tr>
        <th align="left" style="padding:6px 4px;border-bottom:2px solid #d5dbe1;font-size:12px;color:#5b6875;font-weight:normal;">Figure</th>
        <th align="right" style="padding:6px 4px;border-bottom:2px solid #d5dbe1;font-size:12px;color:#5b6875;font-weight:normal;">{{ now_label }}</th>
        {% for c in compare_labels %}
        <th align="right" style="padding:6px 4px;border-bottom:2px solid #d5dbe1;font-size:12px;color:#5b6875;font-weight:normal;">vs {{ c }}</th>
        {% endfor %}
      </tr>
      {% for r in rows %}
      <tr>
        <td style="padding:7px 4px;border-bottom:1px solid #e8ecef;">{{ r.label }}</td>
        <td align="right" style="padding:7px 4px;border-bottom:1px solid #e8ecef;font-weight:bold;">{{ r.cell.display }}</td>
        {% for c in r.changes %}
        <td align="right" style="padding:7px 4px;border-bottom:1px solid #e8ecef;white-space:nowrap;font-size:13px;color:{{ '#1e7a34' if c.direction > 0 else '#b3261e' if c.direction < 0 else '#5b6875' }};">{{ c.display }}</td>
        {% endfor %}
      </tr>
      {% endfor %}
    </table>
  </td></tr>
  {% if chart_cid %}
  <tr><td style="padding:12px 20px 4px 20px;">
    <div style="font-size:13px;font-weight:bold;margin-bottom:4px;">Visitors in per {{ 'hour' if bucket == 'hour' else 'day' }}</div>
    <img src="cid:{{ chart_cid }}" width="600" alt="Visitors in per {{ 'hour' if bucket == 'hour' else 'day' }}: {{ now_label }} as bars, {{ chart_other_label }} as a line" style="display:block;width:100%;max-width:600px;height:auto;border:0;">
  </td></tr>
  {% endif %}
  {% if floor_cid %}
  <tr><td style="padding:12px 20px 4px 20px;">
    <div style="font-size:13px;font-weight:bold;margin-bottom:4px;">Where people spent time</div>
    <img src="cid:{{ floor_cid }}" width="300" alt="Floor map of the store: darker cells held people longer; hatched cells had fewer than {{ k }} people" style="display:block;width:300px;max-width:100%;height:auto;border:0;">
    <div style="font-size:12px;color:#5b6875;margin-top:4px;">Darker: more person-seconds. Hatched: fewer than {{ k }} people, not shown.</div>
  </td></tr>
  {% endif %}
  {% if stores %}
  <tr><td style="padding:12px 20px 4px 20px;">
    <div style="font-size:13px;font-weight:bold;margin-bottom:4px;">Stores</div>
    <table role="presentation" width="100%" cellpadding="0" cellspacing="0" border="0" style="border-collapse:collapse;font-size:13px;">
      <tr>
        <th align="left" style="padding:5px 4px;border-bottom:2px solid #d5dbe1;color:#5b6875;font-weight:normal;">Store</th>
        <th align="right" style="padding:5px 4px;border-bottom:2px solid #d5dbe1;color:#5b6875;font-weight:normal;">Visitors in</th>
        <th align="right" style="padding:5px 4px;border-bottom:2px solid #d5dbe1;color:#5b6875;font-weight:normal;">vs {{ compare_labels[0] if compare_labels else '' }}</th>
      </tr>
      {% for s in stores %}
      <tr>
        <td style="padding:5px 4px;border-bottom:1px solid #e8ecef;">{{ s.name }}</td>
        <td align="right" style="padding:5px 4px;border-bottom:1px solid #e8ecef;">{{ s.value }}</td>
        <td align="right" style="padding:5px 4px;border-bottom:1px solid #e8ecef;color:{{ '#1e7a34' if s.change.direction > 0 else '#b3261e' if s.change.direction < 0 else '#5b6875' }};">{{ s.change.display }}</td>
      </tr>
      {% endfor %}
    </table>
  </td></tr>
  {% endif %}
  <tr><td style="padding:12px 20px 20px 20px;font-size:11px;line-height:16px;color:#7a8693;">
    {% for n in notes %}{{ n }}<br>{% endfor %}
    Figures resting on fewer than {{ k }} visitors are shown as "&lt;{{ k }}". Times are local ({{ tz }}).
    Footfall counts people anonymously: no images or identities leave the cameras.
  </td></tr>
</table>
</td></tr>
</table>
</body>
</html>
"""

TEXT = r"""{{ heading }}: {{ title }}
{{ period_label }}

{% if quality %}DATA QUALITY
{% for q in quality %}- {{ q }}
{% endfor %}{% else %}Data quality: every device reported all {{ {'daily': 'day', 'weekly': 'week'}.get(kind, 'month') }}.
{% endif %}
{% for r in rows %}{{ (r.label ~ ':').ljust(20) }} {{ r.cell.display.rjust(22) }}{% for c in r.changes %}   {{ c.display }} vs {{ c.label }}{% endfor %}
{% endfor %}
{% if chart_text %}Visitors in per {{ 'hour' if bucket == 'hour' else 'day' }} ({{ now_label }} / {{ chart_other_label }}):
{% for line in chart_text %}{{ line }}
{% endfor %}{% endif %}{% if floor_text %}
Where people spent time (busiest floor cells):
{% for line in floor_text %}- {{ line }}
{% endfor %}{% endif %}{% if stores %}
Stores (visitors in, vs {{ compare_labels[0] if compare_labels else '' }}):
{% for s in stores %}- {{ s.name }}: {{ s.value }} ({{ s.change.display }})
{% endfor %}{% endif %}
{% for n in notes %}{{ n }}
{% endfor %}Figures resting on fewer than {{ k }} visitors are shown as "<{{ k }}". Times are local ({{ tz }}).
"""
