<!-- Purpose: the data of Troop's local TAP/SIA test server (scripts/tap/start.sh imports it as
  troop/q). Everything is generated, deterministic and small:
  - troop.objects: 1000 rows (id 1..1000) in the field ra 10..20, dec -5..5, for TAP tests;
  - troop.images: 12 FITS images of 1 x 1 degree (made by make-images.py), published to ObsCore,
    so DaCHS's site-wide SIAv2 service (/__system__/siap2/sitewide/siap2.xml) finds them. -->
<resource schema="troop" resdir=".">
  <meta name="title">Troop test data</meta>
  <meta name="description">Deterministic tables and images for Troop's tests.</meta>
  <meta name="creationDate">2026-01-01T00:00:00</meta>
  <meta name="subject">Software testing</meta>
  <meta name="creator.name">Troop</meta>
  <meta name="facility">Troop test facility</meta>

  <table id="objects" onDisk="True" adql="True" primary="id">
    <meta name="description">1000 synthetic objects; id runs from 1 to 1000.</meta>
    <column name="id" type="integer" required="True" ucd="meta.id;meta.main"/>
    <column name="ra" type="double precision" unit="deg" ucd="pos.eq.ra;meta.main"/>
    <column name="dec" type="double precision" unit="deg" ucd="pos.eq.dec;meta.main"/>
    <column name="mag" type="real" unit="mag" ucd="phot.mag"/>
  </table>

  <data id="import_objects">
    <sources item="1000"/>
    <embeddedGrammar>
      <iterator>
        <code>
          for i in range(1, int(self.sourceToken) + 1):
            yield {"id": i,
              "ra": 10 + ((i * 0.6180339887) % 1) * 10,
              "dec": -5 + ((i * 0.7548776662) % 1) * 10,
              "mag": 14 + (i % 100) * 0.1}
        </code>
      </iterator>
    </embeddedGrammar>
    <make table="objects"/>
  </data>

  <table id="images" onDisk="True" mixin="//siap#pgs" adql="True">
    <meta name="description">12 synthetic 1 x 1 degree images.</meta>
    <mixin calibLevel="2" collectionName="'troop'" expTime="exptime">//obscore#publishSIAP</mixin>
    <column name="exptime" type="real" unit="s" ucd="time.duration;obs.exposure"/>
  </table>

  <data id="import_images">
    <sources pattern="images/*.fits"/>
    <fitsProdGrammar>
      <rowfilter procDef="//products#define">
        <bind key="table">"troop.images"</bind>
      </rowfilter>
    </fitsProdGrammar>
    <make table="images">
      <rowmaker>
        <map key="exptime">@EXPTIME</map>
        <apply procDef="//siap#setMeta">
          <bind key="dateObs">@DATE_OBS</bind>
          <bind key="bandpassId">@FILTER</bind>
          <bind key="pixflags">"F"</bind>
          <bind key="title">"Troop image "+@OBJECT</bind>
        </apply>
        <apply procDef="//siap#getBandFromFilter"/>
        <apply procDef="//siap#computePGS"/>
      </rowmaker>
    </make>
  </data>
</resource>
